//! Policies (bundled and user files) and grading. Pure: no I/O beyond reading a policy file.
