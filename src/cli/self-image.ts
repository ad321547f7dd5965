// The image the metrics sidecar runs, `{{self.image}}` in the catalog: this project's own.

/** The image given by --image, else this version's release image. */
export function selfImage(image: string | undefined, version: string): string {
  return image ?? `ghcr.io/sidecar-patterns/sidecar-patterns:${version}`
}
