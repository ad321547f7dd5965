// One line of `check`'s report.

/** What one check found; `fix` says what to do when it failed. */
export type CheckResult =
  | { check: string; ok: true; message: string }
  | { check: string; ok: false; message: string; fix: string }

export const passed = (check: string, message: string): CheckResult => ({
  check,
  ok: true,
  message,
})

export const failed = (check: string, message: string, fix: string): CheckResult => ({
  check,
  ok: false,
  message,
  fix,
})

/** What to try when a read failed: a 403 means the user lacks the permission named. */
export function accessFix(request: string, namespace?: string): string {
  const where = namespace === undefined ? '' : ` -n ${namespace}`
  return `check that the API answers and that you may read it: kubectl auth can-i ${request}${where}`
}
