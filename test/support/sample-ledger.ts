import type { EnvironmentLedger } from '../../src/core/model/source-model.js'

/** A digest of the form Gantry writes, told apart by `n`. */
export const sampleDigest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`

/**
 * A ledger as Gantry writes it for package `app` on dev, owning `itemCount` items (`task/app-<i>`), with
 * `overrides` laid over it (they may break it: tests of the ledger reader hand it forms Gantry never writes).
 */
export function sampleLedger(itemCount: number, overrides: Record<string, unknown> = {}): EnvironmentLedger {
  const items: Record<string, string> = {}
  for (let i = 0; i < itemCount; i++) items[`task/app-${i}`] = sampleDigest(i)
  return {
    package: 'app',
    version: '1.2.3',
    digest: sampleDigest(99),
    environment: 'dev',
    locked: false,
    items,
    delivered: { ...items },
    rollback: false,
    previousVersion: null,
    sourceCommit: 'd7f27db470037db774dd91eea86f77b9b9cc9496',
    promotion: null,
    approvers: [],
    appliedAt: '2026-01-01T00:00:00.000Z',
    appliedBy: 'gantry',
    ...overrides,
  } as unknown as EnvironmentLedger
}
