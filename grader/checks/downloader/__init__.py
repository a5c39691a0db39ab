"""The downloader's checks (`downloader.*` in rubric.yaml), by what they judge.

`mock/` is the grader's HTTP in the child (the gated and sequenced servers, the timestamped
output, the timeline); `harness` runs the student's code against a server and records what it
did; `wording` decides which printed line reports which URL. A contract submission's two runs
are made in `contract_runs`, read by `reading` and judged by `returned` (the dict it returned),
`requests_made` (what reached the server) and `printing` (its status lines); `api` checks the
contract's name. A program's runs are made in `script_run` and judged in `script`; `races`
runs either under the cooperative scheduler for the race oracle (shared bookkeeping).
"""
