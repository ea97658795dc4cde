/* The page: one self-contained HTML document (inline CSS and SVG, no
 * script, no external resource), written as XHTML-compatible markup so
 * a strict XML parser can check it too. */
#include "report/html.h"

#include "report/fmt.h"
#include "report/sections.h"

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
	"color:#1d2329;background:#f6f7f9;margin:0;padding:20px 28px;max-width:1240px}\n"
	"h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;padding-top:12px;"
	"border-top:2px solid #d5dae0}h3{font-size:15px;margin:18px 0 6px}h4{font-size:14px;margin:0}\n"
	".file{color:#5a6570;margin:0 0 12px}.note{color:#5a6570;font-size:12.5px;margin:4px 0}\n"
	".missing{color:#8a5a00;background:#fff6e0;border-left:3px solid #e69f00;padding:6px 10px}\n"
	"nav a{margin-right:14px;color:#0a5a9c}\n"
	"table{border-collapse:collapse;background:#fff;margin:6px 0 10px;font-size:13px}\n"
	"th,td{padding:3px 10px;border-bottom:1px solid #e3e6ea;text-align:left}"
	"th{background:#eef1f4;font-weight:600}td.num,th.num{text-align:right;"
	"font-variant-numeric:tabular-nums}\n"
	"table.summary th{background:none;font-weight:600;color:#5a6570}\n"
	".plot{background:#fff;border:1px solid #dde1e6;display:block;margin:4px 0 8px}\n"
	".cards{display:flex;flex-wrap:wrap;gap:10px}.card{background:#fff;border:1px solid #dde1e6;"
	"padding:8px 8px 0;width:374px}.card .plot{border:0;margin:0}.card p{margin:0;font-size:12px;color:#5a6570}\n"
	".pair{display:flex;flex-wrap:wrap;gap:10px}\n"
	"svg text{font:11px system-ui,'DejaVu Sans',sans-serif;fill:#2a3138}\n"
	"svg .axis-label{font-size:12px;fill:#3d4650}svg .legend-note{fill:#6b7680}\n"
	"svg .grid{stroke:#edf0f2}svg .axis,svg .tick{stroke:#6b7680}\n"
	"svg .marker-label{font-weight:600}svg .bar-label{font-size:11px}\n";

static void nav(FILE *f)
{
	fputs("<nav><a href=\"#sec-timeline\">Timeline</a><a href=\"#sec-latency\">Latency</a>"
	      "<a href=\"#sec-cost\">Cost</a><a href=\"#sec-attribution\">Attribution</a>"
	      "<a href=\"#sec-kvm\">Hardware exits and KVM</a><a href=\"#sec-advice\">Advice</a></nav>\n", f);
}

void page_write(FILE *f, const struct report_input *in)
{
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	      "<title>warden exit report: ", f);
	fmt_escape(f, in->path);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
	section_header(f, in);
	nav(f);
	section_crash(f, in->stats);
	section_timeline(f, in);
	section_latency(f, in->stats);
	section_cost(f, in->stats);
	section_attribution(f, in->stats);
	section_kvm(f, in->stats);
	section_advice(f, in->stats);
	fputs("<p class=\"note\">Written by <code>warden report</code>.</p>\n</body>\n</html>\n", f);
}
