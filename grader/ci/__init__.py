"""Grading on a student's repository in CI: the workflow templates (`grader init-ci`) and what
the grading step publishes to the CI service (`grader check --github`)."""
