"""The bank's checks (`bank.*` in rubric.yaml), by what they judge.

`harness` runs a probe's scenario on the student's code in the child (steps on one account, a
call in the module's world, seeded schedules of threads, the file as a program); `schedules`
reads the schedules a race probe sent; `linearize` decides whether a concurrent history has a
sequential explanation. Checks: `api` (the contract's names), `sequential` (one account, then
two, without threads), `simulate` (simulate's threads and its total), `races` (lost updates,
overdrafts, conservation, linearizability), `transfer` (the bonus), `script` (the file run as a
program), `own_class` and `funds` (a program's own account class refusing an overdraft).
"""
