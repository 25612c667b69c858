/**
 * The relay workflow that every environment branch carries.
 *
 * GitHub reads the workflow files for an event from one ref: for `pull_request_target`, the pull request's base
 * branch; for `pull_request` and `pull_request_review`, the pull request's merge ref (base and head merged). For a
 * pull request into an environment branch both are environment-branch content, never the default branch, so the
 * trusted promotion workflow on the default branch never sees reviews, ticked instructions, pushes or closes of
 * promotion pull requests. The relay closes that gap: it passes the pull request's number, and nothing else, to
 * the trusted workflow through `workflow_dispatch`, which GitHub starts even when `GITHUB_TOKEN` asks (events
 * caused by `GITHUB_TOKEN` start no runs, except `workflow_dispatch` and `repository_dispatch`).
 *
 * The relay widens no trust: whoever can change it (the pull request's author, for the merge ref read on a
 * review) can at most send another number or none. The trusted run re-reads that pull request, its branch,
 * reviews and the verified bundle from git and GitHub, as it does for any event.
 */

/** Where the relay lives on an environment branch. */
export const RELAY_WORKFLOW_PATH = '.github/workflows/gantry-relay.yml'

/** The trusted workflow's file on the default branch (examples/workflows/promotion.yml). */
export const DEFAULT_TRUSTED_WORKFLOW = 'promotion.yml'

/** The `workflow_dispatch` input of the trusted workflow that names the pull request. */
export const PULL_REQUEST_INPUT = 'pull-request'

/** The relay's text: Gantry writes it when it creates an environment branch and rewrites it when it differs. */
export function relayWorkflow(trustedWorkflow: string = DEFAULT_TRUSTED_WORKFLOW): string {
  if (!/^[\w.-]+\.ya?ml$/.test(trustedWorkflow)) throw new Error(`not a workflow file name: ${trustedWorkflow}`)
  return `# Written and kept current by Gantry: edits are replaced. Reviews, pushes, edits and closes of pull
# requests into this environment branch start workflows from this branch (pull_request_target) or from the
# pull request's merge ref (pull_request_review), never from the default branch. This relay hands only the
# pull request's number to the trusted workflow on the default branch, which re-reads everything itself.
name: Gantry relay

on:
  pull_request_target:
    types: [opened, edited, synchronize, reopened, closed]
  pull_request_review:
    types: [submitted, dismissed]

permissions:
  actions: write   # workflow_dispatch; nothing else

jobs:
  relay:
    # What Gantry itself writes was decided by the run that wrote it.
    if: github.event.sender.type != 'Bot'
    runs-on: ubuntu-latest
    steps:
      - name: Ask the trusted workflow to decide this pull request
        env:
          GH_TOKEN: \${{ github.token }}
          NUMBER: \${{ github.event.pull_request.number }}
          DEFAULT_BRANCH: \${{ github.event.repository.default_branch }}
        run: >-
          curl --fail --silent --show-error -X POST
          -H "Authorization: Bearer $GH_TOKEN" -H "Accept: application/vnd.github+json"
          "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/actions/workflows/${trustedWorkflow}/dispatches"
          -d "{\\"ref\\":\\"$DEFAULT_BRANCH\\",\\"inputs\\":{\\"${PULL_REQUEST_INPUT}\\":\\"$NUMBER\\"}}"
`
}
