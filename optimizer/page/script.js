// The page's few interactions: a click on a council (or a pick from the list) shows its figures,
// the service filter hides the other services' partnerships. Figures arrive formatted, as the workbook shows them.
function consolidatePage(plotId) {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const plot = document.getElementById(plotId);
  const panel = document.getElementById("council-panel");
  const picker = document.getElementById("council-picker");
  const filter = document.getElementById("service-filter");

  function element(tag, text, attributes) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    return node;
  }

  function show(index) {
    const council = data.councils[index];
    panel.replaceChildren();
    panel.setAttribute("data-council", council.name);
    panel.appendChild(element("h3", council.name, {"data-field": "council"}));
    if (council.body_type !== "council") panel.appendChild(element("p", council.body_type, {"class": "body-type"}));
    const figures = element("dl");
    for (const [field, label, text] of council.figures) {
      figures.appendChild(element("dt", label));
      figures.appendChild(element("dd", text, {"data-field": field}));
    }
    panel.appendChild(figures);
    if (council.why_short) panel.appendChild(element("p", council.why_short, {"data-field": "why_short", "class": "why"}));
    panel.appendChild(element("h4", council.partnerships.length ? "Shares" : "Shares nothing in this plan"));
    const shares = element("ul", undefined, {"class": "shares"});
    for (const share of council.partnerships) {
      const item = element("li", undefined, {"data-service": share.service});
      const swatch = element("span", "\u25A0 ", {"class": "swatch"});
      swatch.style.color = data.colours[share.service] || "#444";
      item.appendChild(swatch);
      item.appendChild(element("b", share.service));
      item.appendChild(document.createTextNode(" with " + (share.partners.join(", ") || "no one") +
                                               ": " + share.saving + " a year for the group"));
      shares.appendChild(item);
    }
    panel.appendChild(shares);
    if (council.reductions.length) {
      panel.appendChild(element("h4", "Reductions"));
      const cuts = element("ul");
      for (const cut of council.reductions) cuts.appendChild(element("li", cut.service + ": " + cut.pct + ", saving " + cut.saving));
      panel.appendChild(cuts);
    }
    picker.value = String(index);
    // the council stands out on the map: the others fade until another is picked
    const trace = plot.data.findIndex(t => t.meta.role === "councils");
    const point = plot.data[trace].customdata.indexOf(index);
    Plotly.restyle(plot, {selectedpoints: [point < 0 ? null : [point]]}, [trace]);
  }

  plot.on("plotly_click", function (event) {
    const point = event.points.find(p => p.data.meta && p.data.meta.role === "councils");
    if (point) show(point.customdata);
  });
  picker.addEventListener("change", () => { if (picker.value !== "") show(Number(picker.value)); });
  filter.addEventListener("change", function () {
    const service = filter.value;
    const visible = plot.data.map(t => t.meta.role === "councils" || service === "" || t.meta.service === service);
    Plotly.restyle(plot, {visible: visible});
  });
  document.body.setAttribute("data-ready", "yes");
}
