"""Grade a whole class at once: find every submission, grade each in its own sandbox, in
parallel, and write the grades in the forms gradebooks import.

One module per job: `archive` (safe zip extraction), `naming` (what LMS file names say),
`discover` (which layout a folder is in and who submitted what), `roster` (names and emails),
`stage` (one clean folder per submission), `cache` (skip what was graded before), `runner`
(parallel grading with a progress bar), `outputs/` (one module per gradebook format),
`bundle` and `autograder` (Gradescope). `run_batch` in `app` ties them together.
"""
