"""The supervisor's dashboard in English at desktop size: the unit chart's words fit it."""
from factories import Factory

CHART_OVERFLOW = """svg => {  // how far any text of the chart reaches past its viewBox
  const right = svg.viewBox.baseVal.width;
  return Math.max(...[...svg.querySelectorAll('text')].map(t => {
    const box = t.getBBox(); return box.x + box.width - right; }));
}"""


def test_unit_chart_fits_its_english_words(page, server_url, make, sign_in, shot):
    """A unit with nothing assigned yet (just added in the org editor, say) is labelled in
    the value column: in English the label must fit the chart, not be cut at its edge."""
    page.set_viewport_size({"width": 1366, "height": 900})
    city = make.unit("市公安局", "bureau", code="SZ")
    make.unit("姑苏分局", "county", city, code="C01")
    make.unit("新设分局", "county", city, code="C02")
    chief = make.user(city, roles=("officer", "supervisor"), name="王强")
    sign_in(chief.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.locator("footer button", has_text="English").click()
    page.wait_for_load_state()
    page.goto(f"{server_url}/supervise/")
    chart = page.locator("svg.sv-chart").first
    assert chart.locator("text.sv-muted").count() >= 1
    shot("supervise-chart-en-desktop")
    assert chart.evaluate(CHART_OVERFLOW) <= 0
