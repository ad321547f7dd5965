/** Something wrong with what a Pod asks for, tied to the annotation a user must change. */
export interface Problem {
  annotation: string
  message: string
}

/** One sentence per problem, in the order found, for an AdmissionResponse status message. */
export function describeProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.annotation}: ${p.message}`).join('; ')
}
