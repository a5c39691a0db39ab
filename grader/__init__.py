"""grader: an autograder for the threaded downloader and bank exercises."""

__version__ = "0.1.0"
