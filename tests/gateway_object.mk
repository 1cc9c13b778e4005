# Tests of the object layer (gateway/object*, store*, gc).
