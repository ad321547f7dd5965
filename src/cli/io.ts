/** What a subcommand may touch of the outside world besides the files it is told about. */
export interface Io {
  /** Writes a line to standard output. */
  out(text: string): void
  /** Writes text to standard output as it is. */
  write(text: string): void
  err(text: string): void
  version: string
  /** All of standard input, as text. */
  stdin(): Promise<string>
}
