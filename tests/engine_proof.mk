# Engine model, crash and fault tests, and the real-process kill test.
