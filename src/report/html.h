/* The report page as a whole: the sections (sections.h) in order, with
 * the style sheet and navigation around them. */
#ifndef WARDEN_REPORT_HTML_H
#define WARDEN_REPORT_HTML_H

#include <stdio.h>

#include "report/input.h"

void page_write(FILE *f, const struct report_input *in);

#endif
