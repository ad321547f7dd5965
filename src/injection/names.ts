/** Hands out names not yet taken: the base name, or `base-2`, `base-3`, ... on a collision. */
export function nameAllocator(taken: Iterable<string>): (base: string) => string {
  const used = new Set(taken)
  return (base) => {
    let name = base
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`
    used.add(name)
    return name
  }
}
