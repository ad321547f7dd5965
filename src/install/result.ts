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
