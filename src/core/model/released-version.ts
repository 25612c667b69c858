/** A version recorded by an annotated tag `<package>@<version>`, as read back from git. */
export interface ReleasedVersion {
  package: string
  version: string
  tag: string
  /** The commit the tag points at. */
  commit: string
  /** The bundle digest and content digest carried in the tag message. */
  digest?: string
  contentDigest?: string
  notes?: string
}

export function versionsOf(released: readonly ReleasedVersion[], pkg: string): ReleasedVersion[] {
  return released.filter((r) => r.package === pkg)
}

/** versionsOf for every package at once, in one pass: each package's releases in the order of `released`. */
export function releasesByPackage(released: readonly ReleasedVersion[]): Map<string, ReleasedVersion[]> {
  const byPackage = new Map<string, ReleasedVersion[]>()
  for (const release of released) {
    const list = byPackage.get(release.package)
    if (list) list.push(release)
    else byPackage.set(release.package, [release])
  }
  return byPackage
}

export function parseTagName(tag: string): { package: string; version: string } | undefined {
  const at = tag.lastIndexOf('@')
  if (at <= 0) return undefined
  return { package: tag.slice(0, at), version: tag.slice(at + 1) }
}

/**
 * The versions that count as released: only tags whose commit is on the default branch's history. A tag pushed
 * from an unreviewed branch (anyone with write access can push one) names content nobody reviewed, so it is
 * never promotable. `onDefaultBranch` holds the tag names whose commit the default branch contains.
 */
export function releasedOnDefaultBranch(released: readonly ReleasedVersion[], onDefaultBranch: ReadonlySet<string>): ReleasedVersion[] {
  return released.filter((r) => onDefaultBranch.has(r.tag))
}
