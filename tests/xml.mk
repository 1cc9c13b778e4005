# Tests of xml/: see tests/local.mk.
check_PROGRAMS += tests/check_xml
TESTS += tests/check_xml
tests_check_xml_SOURCES = tests/check_xml.c tests/test_xml_encode.c tests/test_xml_decode.c
tests_check_xml_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(XML_CFLAGS)
tests_check_xml_LDADD = tests/libtestutil.a xml/libs3xml.a $(XML_LIBS) $(CHECK_LIBS)

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_xml
else
check_PROGRAMS += tests/fuzz/fuzz_xml
TESTS += tests/fuzz/fuzz_xml
endif
tests_fuzz_fuzz_xml_SOURCES = tests/fuzz/fuzz_xml.c
tests_fuzz_fuzz_xml_LDADD = $(FUZZ_MAIN) xml/libs3xml.a $(XML_LIBS)
tests_fuzz_fuzz_xml_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
