// A folder laid out as the kubelet lays out a ConfigMap volume: catalog.yaml is a symlink through
// ..data to a versioned folder, and an update swaps ..data atomically to a new one.
import { mkdir, mkdtemp, rename, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A ConfigMap-style volume holding `file`; `publish` is a ConfigMap update. */
export async function configMapVolume(text: string, file = 'catalog.yaml') {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-configmap-'))
  let generation = 0
  const publish = async (content: string) => {
    const version = `..2026_11_25_${generation++}`
    await mkdir(join(dir, version))
    await writeFile(join(dir, version, file), content)
    await symlink(version, join(dir, '..data_tmp'))
    await rename(join(dir, '..data_tmp'), join(dir, '..data'))
  }
  await publish(text)
  await symlink(`..data/${file}`, join(dir, file))
  return { dir, path: join(dir, file), publish }
}
