/*
 * check_xml.c — the Check program for xml/: response encoding and hardened
 * request decoding.
 */
#include "tests/testutil.h"
#include "xml/s3xml.h"

Suite *test_xml_encode_suite(void);
Suite *test_xml_decode_suite(void);

int main(void)
{
	s3xml_init();
	Suite *suites[] = {test_xml_encode_suite(), test_xml_decode_suite()};
	int rc = test_run_suites(suites, 2);
	s3xml_cleanup();
	return rc;
}
