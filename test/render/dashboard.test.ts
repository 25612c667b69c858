import { describe, expect, test } from 'vitest'
import { DASHBOARD_LIMIT, type DashboardView, renderDashboard } from '../../src/core/render/dashboard.js'
import { liveMentions, parseMermaidFlowchart, renderGfm, visibleText } from '../support/gfm.js'

const ENVS = ['dev', 'qa', 'us_east', 'staging', 'prod']

/** 400 packages x 5 environments in every state the dashboard shows, with names that differ only by punctuation. */
function bigView(): DashboardView {
  const names = ['billing-v2', 'billing.v2', 'billing_v2', ...Array.from({ length: 397 }, (_, i) => `package-with-a-long-name-${String(i).padStart(3, '0')}`)]
  const view: DashboardView = {
    environments: ENVS.map((name) => ({ name, branch: `env/${name}`, approvals: name === 'prod' ? 2 : 0 })),
    packages: names.map((name, i) => {
      const cells: DashboardView['packages'][number]['cells'] = {}
      ENVS.forEach((env, e) => {
        if (e < 3 || i % 2 === 0) cells[env] = { applied: e < 2 ? '1.12' : '1.11' }
      })
      if (i % 10 === 1) cells.qa = { ...cells.qa, waiting: { version: '1.13', status: 'ACCEPTED', number: 1000 + i } }
      if (i % 25 === 2) cells.prod = { ...cells.prod, waiting: { version: '1.12', status: 'SCHEDULED', number: 2000 + i } }
      if (i % 40 === 3) cells.staging = { ...cells.staging, blocked: { version: '1.12', missing: ['base'] } }
      if (i % 50 === 4) cells.us_east = { ...cells.us_east, ended: { version: '1.12', status: 'REJECTED', number: 3000 + i } }
      if (i % 60 === 5) cells.prod = { applied: '1.10', rollback: true }
      return { name, latest: '1.12', cells }
    }),
    pending: [],
    scheduled: [],
    rejections: [{ package: 'billing-v2', version: '1.12', environment: 'us_east', number: 3000, status: 'REJECTED', reason: 'Wrong host @everyone <script>' }],
    drift: [],
    history: Array.from({ length: 40 }, (_, i) => ({ at: new Date(Date.UTC(2026, 10, 30, 12, 59 - i)).toISOString(), package: names[i]!, version: '1.12', environment: ENVS[i % 5]!, event: i % 7 === 0 ? ('ROLLED BACK' as const) : ('APPLIED' as const), number: 500 + i })),
    updatedAt: '2026-11-30T13:00:00.000Z',
  }
  view.pending = view.packages.flatMap((p) => Object.entries(p.cells).filter(([, c]) => c.waiting?.status === 'ACCEPTED').map(([env, c]) => ({ package: p.name, version: c.waiting!.version, environment: env, number: c.waiting!.number, approvals: 0, required: 1, waitingFor: '1 more approval' })))
  return view
}

const mermaidOf = (body: string) => /```mermaid\n([\s\S]*?)```/.exec(body)![1]!

describe('the dashboard', () => {
  test('400 packages x 5 environments stay under GitHub’s 65,536 characters, every package in the matrix', () => {
    const body = renderDashboard(bigView())
    expect(body.length).toBeLessThan(DASHBOARD_LIMIT)
    const html = renderGfm(body)
    for (const name of ['billing-v2', 'billing.v2', 'billing_v2', 'package-with-a-long-name-396']) expect(html).toContain(`<td><code>${name}</code></td>`)
    expect(visibleText(html)).not.toContain('more packages')
    expect(liveMentions(html)).toEqual([])
    expect(html).not.toContain('<script')
  })

  test('blocked, rejected, scheduled and rolled-back states show in the matrix; totals on top', () => {
    const html = renderGfm(renderDashboard(bigView()))
    const text = visibleText(html)
    expect(text).toMatch(/400 packages × 5 environments · ⏳ 40 waiting for approval or instructions · 🕒 16 scheduled · ⛔ 10 blocked · ❌ 8 rejected or canceled · ↩️ 7 rolled back/)
    expect(html).toContain('<td>⛔ 1.12</td>')
    expect(html).toMatch(/<td>(✅ 1\.11|<code>1\.11<\/code>) ❌ 1\.12 #3004<\/td>/)
    expect(html).toContain('<td>↩️ 1.10</td>')
    expect(html).toMatch(/🕒 1\.12 #2002/)
    expect(html).toContain('<td>us_east</td>')
    expect(html).toContain('<th>us_east</th>')
  })

  test('drift on the branches: an error marked ❌, a warning ⚠️, each with its environment, item and message; counted on top', () => {
    const view: DashboardView = {
      ...bigView(),
      drift: [
        { environment: 'prod', item: 'cred/db', message: 'cred/db of locked package base was changed on env/prod outside a promotion', severity: 'error' },
        { environment: 'qa', item: 'conn/db', message: 'conn/db of package base was changed on env/qa outside a promotion', severity: 'warning' },
      ],
    }
    const html = renderGfm(renderDashboard(view))
    const rows = [...html.matchAll(/<tr>\s*<td>(❌|⚠️)<\/td>([\s\S]*?)<\/tr>/g)].map((m) => [m[1], visibleText(m[2]!).replace(/\s+/g, ' ').trim()])
    expect(rows).toEqual([
      ['❌', 'prod cred/db cred/db of locked package base was changed on env/prod outside a promotion'],
      ['⚠️', 'qa conn/db conn/db of package base was changed on env/qa outside a promotion'],
    ])
    expect(visibleText(html)).toContain('↩️ 7 rolled back · ⚠️ 2 drift')
  })

  test('recent history, most recent first, rollbacks marked, times in one format', () => {
    const text = visibleText(renderGfm(renderDashboard(bigView())))
    expect(text).toContain('Recent history (15)')
    expect(text).toContain('2026-11-30 12:59 UTC')
    expect(text).toContain('↩️ ROLLED BACK')
    expect(text).not.toContain('2026-11-30 12:44 UTC')
    expect(text).toContain('last update 2026-11-30 13:00 UTC')
  })

  test('the Mermaid picture parses, has one node per environment (and one for what waits there), names never collide', async () => {
    const view = bigView()
    const diagram = await parseMermaidFlowchart(mermaidOf(renderDashboard(view)))
    expect(diagram.vertices).toEqual(['e0', 'e1', 'w1', 'e2', 'w2', 'e3', 'w3', 'e4', 'w4'])
    expect(diagram.edges).toBe(4 + 4)
    // Three packages whose names differ only by punctuation, each waiting in its own environment: three nodes.
    const small: DashboardView = { ...view, packages: view.packages.slice(0, 3).map((p, i) => ({ ...p, cells: { [ENVS[i]!]: { waiting: { version: '2', status: 'ACCEPTED', number: i + 1 } } } })) }
    const picture = mermaidOf(renderDashboard(small))
    expect((await parseMermaidFlowchart(picture)).vertices.filter((v) => v.startsWith('w'))).toHaveLength(3)
    // The picture is as tall as one node plus its waiting node, whatever the number of packages.
    for (const line of picture.split('\n')) expect((line.match(/<br\/>/g) ?? []).length).toBeLessThanOrEqual(4)
  })

  test('an environment name with quotes or HTML cannot break the picture', async () => {
    const view = bigView()
    const odd: DashboardView = { ...view, environments: [{ name: 'a"b<c>#d', branch: 'x', approvals: 0 }, ...view.environments.slice(1)] }
    const diagram = await parseMermaidFlowchart(mermaidOf(renderDashboard(odd)))
    expect(diagram.vertices[0]).toBe('e0')
  })

  test('the mermaid check can fail: a broken flowchart is refused', async () => {
    await expect(parseMermaidFlowchart('flowchart LR\n  e0["unclosed --> e1\n')).rejects.toThrow()
  })
})
