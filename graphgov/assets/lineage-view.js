/* graphgov lineage view: draws a `graphgov lineage --format json` document with Cytoscape.js.
 *
 * Data flows left to right in fixed columns (who wrote or reads, and the jobs that prepared a dataset
 * -> datasets -> jobs -> artifacts -> packages -> models -> configurations -> endpoints), so the same
 * lineage always looks the same and an auditor can read it without rearranging it. Edges keep the
 * graph's own directions and types.
 * Every drawn view is kept in window.graphgovViews ({root, cy, counts}) for people and tests.
 */
(function () {
  "use strict";

  var COLUMN = {
    AWSPrincipal: 0, ProcessingJob: 0, TransformJob: 0, BatchInferenceJob: 0,
    Dataset: 1, TrainingJob: 2, TuningJob: 2, CustomizationJob: 2,
    ModelArtifact: 3, ModelPackage: 4, Model: 5, EndpointConfig: 6, Endpoint: 7
  };
  var COLOUR = {
    AWSPrincipal: "#8e7cc3", ProcessingJob: "#f6b26b", TransformJob: "#f6b26b",
    BatchInferenceJob: "#f6b26b", Dataset: "#3d85c6", TrainingJob: "#e69138", TuningJob: "#e69138",
    CustomizationJob: "#e69138", ModelArtifact: "#93c47d", ModelPackage: "#6aa84f", Model: "#38761d",
    EndpointConfig: "#a64d79", Endpoint: "#cc0000"
  };
  var KIND = {  // label -> [singular, plural], the words of the legend
    AWSPrincipal: ["principal", "principals"], ProcessingJob: ["processing job", "processing jobs"],
    TransformJob: ["transform job", "transform jobs"],
    BatchInferenceJob: ["batch inference job", "batch inference jobs"],
    Dataset: ["dataset", "datasets"],
    TrainingJob: ["training job", "training jobs"], TuningJob: ["tuning job", "tuning jobs"],
    CustomizationJob: ["customization job", "customization jobs"], ModelArtifact: ["artifact", "artifacts"],
    ModelPackage: ["package", "packages"], Model: ["model", "models"],
    EndpointConfig: ["endpoint configuration", "endpoint configurations"], Endpoint: ["endpoint", "endpoints"]
  };
  var EDGE_COLOUR = { READ: "#cc0000", CAN_READ: "#999999", WROTE: "#38761d" };

  function columnOf(label) {  // a kind the view does not know goes last
    return COLUMN.hasOwnProperty(label) ? COLUMN[label] : 8;
  }

  function caption(node) {
    if (node.label === "AWSPrincipal" && node.key.indexOf("arn:") === 0) {
      var parts = node.key.split(":");  // arn:partition:service:region:account:resource
      return parts.slice(5).join(":") + "\n" + parts[4];
    }
    return node.name;
  }

  function edgeCaption(edge) {
    if (edge.type === "READS" && edge.channels && edge.channels.length) {
      return "READS " + edge.channels.join(", ");
    }
    if (edge.type === "CAN_READ" && edge.access) { return "CAN_READ (" + edge.access + ")"; }
    return edge.type;
  }

  function positions(nodes) {
    var columns = {};
    nodes.forEach(function (n) {
      var c = columnOf(n.label);
      (columns[c] = columns[c] || []).push(n);
    });
    var at = {};
    // Only the columns present take space: a model without a package has no empty gap before it.
    Object.keys(columns).map(Number).sort(function (a, b) { return a - b; }).forEach(function (c, place) {
      var column = columns[c].slice().sort(function (a, b) { return a.id < b.id ? -1 : a.id > b.id ? 1 : 0; });
      column.forEach(function (n, i) {
        at[n.id] = { x: place * 260, y: (i - (column.length - 1) / 2) * 80 };
      });
    });
    return at;
  }

  function counts(data) {
    var found = {};
    data.nodes.forEach(function (n) { found[n.label] = (found[n.label] || 0) + 1; });
    return found;
  }

  function orderedLabels(found) {
    return Object.keys(found).sort(function (a, b) {
      return columnOf(a) - columnOf(b) || (a < b ? -1 : 1);
    });
  }

  function phrase(label, count) {
    var words = KIND[label] || [label, label];
    return count + " " + (count === 1 ? words[0] : words[1]);
  }

  function legend(element, data) {
    var found = counts(data);
    element.textContent = "";
    orderedLabels(found).forEach(function (label, i) {
      var item = document.createElement("span");
      item.className = "legend-item";
      item.setAttribute("data-label", label);
      item.setAttribute("data-count", String(found[label]));
      var swatch = document.createElement("i");
      swatch.style.background = COLOUR[label] || "#666";
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(phrase(label, found[label])));
      if (i) { element.appendChild(document.createTextNode(" ")); }
      element.appendChild(item);
    });
    var edges = document.createElement("span");
    edges.className = "legend-edges muted";
    edges.textContent = "\u2014 red: read (CloudTrail data events); dashed: can read (policies); green: wrote";
    element.appendChild(edges);
    return found;
  }

  function details(element, cy, node) {
    element.textContent = "";
    var title = document.createElement("h3");
    title.textContent = (KIND[node.data("label")] || [node.data("label")])[0] + ": " + node.data("name");
    element.appendChild(title);
    var key = document.createElement("code");
    key.textContent = node.data("key");
    element.appendChild(key);
    var list = document.createElement("ul");
    node.connectedEdges().forEach(function (edge) {
      var other = edge.source().id() === node.id() ? edge.target() : edge.source();
      var arrow = edge.source().id() === node.id() ? " \u2192 " : " \u2190 ";
      var item = document.createElement("li");
      var props = edge.data("props");
      var extra = Object.keys(props).filter(function (k) {
        return ["type", "source", "target"].indexOf(k) < 0;
      }).map(function (k) { return k + "=" + JSON.stringify(props[k]); });
      item.textContent = edge.data("type") + arrow + other.data("name") + (extra.length ? " (" + extra.join(", ") + ")" : "");
      list.appendChild(item);
    });
    element.appendChild(list);
  }

  function draw(container, data, options) {
    options = options || {};
    var at = positions(data.nodes);
    if (options.fitHeight) {  // tall enough that captions of the longest column are readable unzoomed
      var longest = 0, column = {};
      data.nodes.forEach(function (n) { var c = columnOf(n.label); column[c] = (column[c] || 0) + 1;
                                         longest = Math.max(longest, column[c]); });
      container.style.height = Math.max(320, Math.min(1600, longest * 62 + 90)) + "px";
    }
    var elements = data.nodes.map(function (n) {
      return {
        group: "nodes", position: at[n.id],
        data: { id: n.id, label: n.label, key: n.key, name: n.name, caption: caption(n),
                colour: COLOUR[n.label] || "#666", root: n.id === data.root ? 1 : 0 }
      };
    }).concat(data.edges.map(function (e, i) {
      return {
        group: "edges",
        data: { id: "e" + i, source: e.source, target: e.target, type: e.type, caption: edgeCaption(e),
                colour: EDGE_COLOUR[e.type] || "#555", dashed: e.type === "CAN_READ" ? 1 : 0, props: e }
      };
    }));
    var cy = window.cytoscape({
      container: container,
      elements: elements,
      layout: { name: "preset", fit: true, padding: 30 },
      minZoom: 0.2, maxZoom: 3,
      style: [
        { selector: "node", style: {
          "background-color": "data(colour)", label: "data(caption)", "font-size": 11, color: "#222",
          "text-wrap": "wrap", "text-max-width": 190, "text-valign": "bottom", "text-margin-y": 4,
          width: 26, height: 26 } },
        { selector: "node[root = 1]", style: { "border-width": 4, "border-color": "#222" } },
        { selector: "node:selected", style: { "border-width": 4, "border-color": "#f1c232" } },
        { selector: "edge", style: {
          width: 1.5, "line-color": "data(colour)", "target-arrow-color": "data(colour)",
          "target-arrow-shape": "triangle", "curve-style": "bezier", label: "data(caption)", "font-size": 9,
          color: "#555", "text-rotation": "autorotate", "text-background-color": "#fff",
          "min-zoomed-font-size": 7,  // edge captions appear once zoomed in enough to read them
          "text-background-opacity": 0.8 } },
        { selector: "edge[dashed = 1]", style: { "line-style": "dashed" } }
      ]
    });
    var found = options.legend ? legend(options.legend, data) : counts(data);
    if (options.details) {
      cy.on("tap", "node", function (event) { details(options.details, cy, event.target); });
    }
    var view = { root: data.root, cy: cy, counts: found };
    (window.graphgovViews = window.graphgovViews || []).push(view);
    return view;
  }

  window.graphgovLineage = { draw: draw };
})();
