/** What a subcommand may touch of the outside world besides the files it is told about. */
export interface Io {
  out(text: string): void
  err(text: string): void
  version: string
}
