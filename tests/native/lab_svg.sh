# The lab's SVG figures (src/lab/lab_svg.c), for the lab_*.sh tests
# (sourced by run.sh before them).
#
# svg_count FILE WHAT NAME: how many marks of kind WHAT named NAME the
# figure FILE holds: point (a dot of series NAME), line (a polyline of
# series NAME), bar, cell (a bar or grid cell of NAME), fill (grid cells
# filled with colour NAME), class (any mark of class NAME); or "not-svg: why" when FILE is not a
# well-formed SVG document (python3's xml.etree parses it).
svg_count() {
	python3 - "$@" <<'PY'
import sys
import xml.etree.ElementTree as E
S = "{http://www.w3.org/2000/svg}"
try:
    r = E.parse(sys.argv[1]).getroot()
except Exception as e:
    print("not-svg:", str(e).replace("\n", " "))
    sys.exit(0)
if r.tag != S + "svg":
    print("not-svg: the root is", r.tag)
    sys.exit(0)
what, name = sys.argv[2], sys.argv[3]
q = {"point": f".//{S}circle[@class='point'][@data-series='{name}']",
     "line": f".//{S}polyline[@data-name='{name}']",
     "bar": f".//{S}g[@data-series='{name}']/{S}rect[@class='bar']",
     "cell": f".//{S}g[@data-series='{name}']/{S}rect[@class='cell']",
     "fill": f".//{S}rect[@class='cell'][@fill='{name}']",
     "class": f".//*[@class='{name}']"}[what]
print(len(r.findall(q)))
PY
}

# svg_doctor SRC DST XPATH: DST is SRC without its first element matching
# XPATH (ElementTree syntax, namespace prefix s:), to show a check fail.
svg_doctor() {
	python3 - "$@" <<'PY'
import sys
import xml.etree.ElementTree as E
E.register_namespace("", "http://www.w3.org/2000/svg")
t = E.parse(sys.argv[1])
ns = {"s": "http://www.w3.org/2000/svg"}
for parent in t.getroot().iter():
    hit = parent.find(sys.argv[3], ns)
    if hit is not None:
        parent.remove(hit)
        break
t.write(sys.argv[2])
PY
}
