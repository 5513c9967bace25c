/* graphgov lineage view: draws a `graphgov lineage --format json` document with Cytoscape.js.
 *
 * Data flows left to right in layers (who wrote a dataset -> datasets -> jobs -> artifacts -> packages ->
 * models -> configurations -> endpoints): each node sits one layer right of the longest chain feeding it,
 * and the nodes of a layer are ordered by the mean place of their neighbours (barycentres) so edges
 * rarely cross. The layout is computed here, not by a layout extension, so the same lineage always looks
 * the same and no more code is vendored. Edges keep the graph's own directions and types.
 *
 * One zoom rule for every graph: fit the view, but never zoom in beyond MAX_ZOOM (a 3-node graph stays
 * modest) nor out below MIN_ZOOM, where node captions would drop under MIN_LABEL_PX on screen; a graph
 * too big for that starts at its root and pans. Every drawn view is kept in window.graphgovViews
 * ({root, cy, counts, edgeKinds}) for people and tests.
 */
(function () {
  "use strict";

  var FONT = 12;  // caption size in graph units
  var MIN_LABEL_PX = 11;  // the smallest caption on screen when a view opens
  var MIN_ZOOM = MIN_LABEL_PX / FONT;
  var MAX_ZOOM = 1.25;
  var PADDING = 16;  // screen pixels between the graph and the view's edge
  var LAYER_GAP = 140;  // graph units between layers
  var ROW_GAP = 76;  // graph units between the nodes of a layer: the node and a three-line caption
  var LINE_CHARS = 20;  // caption characters per line: the widest that fits a layer at MIN_ZOOM
  var RANK = {  // the order of kinds inside a layer before the barycentres reorder it, and the legend order
    AWSPrincipal: 0, ProcessingJob: 1, TransformJob: 1, BatchInferenceJob: 1,
    Dataset: 2, TrainingJob: 3, TuningJob: 3, CustomizationJob: 3,
    ModelArtifact: 4, ModelPackage: 5, Model: 6, EndpointConfig: 7, Endpoint: 8
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
  var EDGE = {  // type -> [legend words, colour, line style]; the legend lists only the types drawn
    WROTE: ["wrote objects into (CloudTrail)", "#38761d", "solid"],
    READ: ["read (CloudTrail data events)", "#cc0000", "solid"],
    CAN_READ: ["can read (policies)", "#999999", "dashed"],
    FEEDS: ["prepared (processing output)", "#e69138", "solid"],
    READS: ["reads (input channel)", "#3d85c6", "solid"],
    WRITES: ["wrote the artifact", "#6f6f6f", "solid"],
    FROM_ARTIFACT: ["loads the artifact", "#6f6f6f", "solid"],
    FROM_PACKAGE: ["from the package", "#6f6f6f", "solid"],
    PRODUCED: ["produced the model", "#6f6f6f", "solid"],
    PROVISIONS: ["provisions the model", "#6f6f6f", "solid"],
    SERVES: ["serves the model", "#6f6f6f", "solid"],
    USES_CONFIG: ["uses the configuration", "#6f6f6f", "solid"]
  };
  // Edges whose data flows from target to source: the target goes left of the source.
  var AGAINST_FLOW = { READS: 1, FROM_ARTIFACT: 1, FROM_PACKAGE: 1, SERVES: 1, USES_CONFIG: 1, PROVISIONS: 1 };

  function rankOf(label) {  // a kind the view does not know goes last
    return RANK.hasOwnProperty(label) ? RANK[label] : 9;
  }

  function wrap(text, width, most) {
    // Lines of at most `width` characters, broken after / : - _ . where possible; beyond `most` lines the
    // first line stays and the end fills the rest after an ellipsis (the details panel shows the whole key).
    var tokens = [];
    text.split(/(?<=[\/:\-_.])/).forEach(function (token) {
      for (; token.length > width; token = token.slice(width)) { tokens.push(token.slice(0, width)); }
      if (token) { tokens.push(token); }
    });
    function fill(parts) {
      var lines = [], line = "";
      parts.forEach(function (token) {
        if (line && line.length + token.length > width) { lines.push(line); line = ""; }
        line += token;
      });
      return line ? lines.concat([line]) : lines;
    }
    var lines = fill(tokens);
    if (lines.length <= most) { return lines; }
    var first = fill(tokens)[0], tail = [];
    for (var i = tokens.length - 1; i > 0; i--) {
      if (fill([tokens[i]].concat(tail)).length > most - 1) { break; }
      tail.unshift(tokens[i]);
    }
    var rest = fill(tail);
    rest[0] = "\u2026" + (rest[0] || "");
    return [first].concat(rest);
  }

  function caption(node) {
    if (node.label === "AWSPrincipal" && node.key.indexOf("arn:") === 0) {
      var parts = node.key.split(":");  // arn:partition:service:region:account:resource
      return wrap(parts.slice(5).join(":"), LINE_CHARS, 2).concat([parts[4]]).join("\n");
    }
    return wrap(node.name, LINE_CHARS, 3).join("\n");
  }

  function edgeCaption(edge) {  // only the channel a job reads: other edges say all by their style
    if (edge.type === "READS" && edge.channels && edge.channels.length) { return edge.channels.join(", "); }
    return "";
  }

  function layers(data) {
    // Longest-path layers along the data flow; a node that only feeds others sits just left of the
    // first of them, so a lone writer is not pushed to the far left.
    var before = {}, after = {}, layer = {}, visiting = {};
    data.nodes.forEach(function (n) { before[n.id] = []; after[n.id] = []; });
    data.edges.forEach(function (e) {
      var from = AGAINST_FLOW[e.type] ? e.target : e.source, to = AGAINST_FLOW[e.type] ? e.source : e.target;
      if (from !== to && before[to] && after[from]) { before[to].push(from); after[from].push(to); }
    });
    function place(id) {
      if (layer.hasOwnProperty(id)) { return layer[id]; }
      visiting[id] = true;
      var at = 0;
      before[id].forEach(function (p) { if (!visiting[p]) { at = Math.max(at, place(p) + 1); } });
      delete visiting[id];
      layer[id] = at;
      return at;
    }
    data.nodes.forEach(function (n) { place(n.id); });
    data.nodes.forEach(function (n) {
      if (!before[n.id].length && after[n.id].length) {
        layer[n.id] = Math.max(0, Math.min.apply(null, after[n.id].map(function (s) { return layer[s]; })) - 1);
      }
    });
    return { layer: layer, neighbours: function (id) { return before[id].concat(after[id]); } };
  }

  function positions(data) {
    var found = layers(data), label = {}, columns = [];
    data.nodes.forEach(function (n) {
      label[n.id] = n.label;
      (columns[found.layer[n.id]] = columns[found.layer[n.id]] || []).push(n.id);
    });
    columns = columns.filter(Boolean);  // only the layers present take space
    columns.forEach(function (column) {
      column.sort(function (a, b) { return rankOf(label[a]) - rankOf(label[b]) || (a < b ? -1 : a > b ? 1 : 0); });
    });
    var index = {};
    function remember() { columns.forEach(function (c) { c.forEach(function (id, i) { index[id] = i - (c.length - 1) / 2; }); }); }
    function reorder(column, side) {  // by the mean place of the neighbours in the layer on `side`
      var centre = {};
      column.forEach(function (id) {
        var near = found.neighbours(id).filter(function (m) { return side.indexOf(m) >= 0; });
        centre[id] = near.length ? near.reduce(function (s, m) { return s + index[m]; }, 0) / near.length : index[id];
      });
      column.sort(function (a, b) { return centre[a] - centre[b] || index[a] - index[b]; });
    }
    remember();
    for (var sweep = 0; sweep < 4; sweep++) {
      var i;
      for (i = 1; i < columns.length; i++) { reorder(columns[i], columns[i - 1]); remember(); }
      for (i = columns.length - 2; i >= 0; i--) { reorder(columns[i], columns[i + 1]); remember(); }
    }
    var at = {};
    columns.forEach(function (column, place) {
      column.forEach(function (id) { at[id] = { x: place * LAYER_GAP, y: index[id] * ROW_GAP }; });
    });
    return at;
  }

  function counts(data) {
    var found = {};
    data.nodes.forEach(function (n) { found[n.label] = (found[n.label] || 0) + 1; });
    return found;
  }

  function edgeKinds(data) {
    var found = {};
    data.edges.forEach(function (e) { found[e.type] = (found[e.type] || 0) + 1; });
    return found;
  }

  function phrase(label, count) {
    var words = KIND[label] || [label, label];
    return count + " " + (count === 1 ? words[0] : words[1]);
  }

  function legend(element, data) {
    var found = counts(data), kinds = edgeKinds(data);
    element.textContent = "";
    var nodes = document.createElement("div");
    nodes.className = "legend-nodes";
    Object.keys(found).sort(function (a, b) { return rankOf(a) - rankOf(b) || (a < b ? -1 : 1); })
      .forEach(function (label) {
        var item = document.createElement("span");
        item.className = "legend-item";
        item.setAttribute("data-label", label);
        item.setAttribute("data-count", String(found[label]));
        var swatch = document.createElement("i");
        swatch.style.background = COLOUR[label] || "#666";
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(phrase(label, found[label])));
        nodes.appendChild(item);
      });
    element.appendChild(nodes);
    var edges = document.createElement("div");
    edges.className = "legend-edges";
    Object.keys(EDGE).filter(function (type) { return kinds[type]; })
      .concat(Object.keys(kinds).filter(function (type) { return !EDGE[type]; }).sort())
      .forEach(function (type) {
        var style = EDGE[type] || [type, "#555", "solid"];
        var item = document.createElement("span");
        item.className = "legend-edge";
        item.setAttribute("data-edge", type);
        var line = document.createElement("i");
        line.style.borderTop = "2px " + style[2] + " " + style[1];
        item.appendChild(line);
        item.appendChild(document.createTextNode(style[0]));
        item.title = type + ": " + kinds[type];
        edges.appendChild(item);
      });
    element.appendChild(edges);
    return found;
  }

  function breakable(element, text) {  // text with <wbr> after / and :, as the report's cells have
    text.split(/(?<=[\/:])/).forEach(function (part, i) {
      if (i) { element.appendChild(document.createElement("wbr")); }
      element.appendChild(document.createTextNode(part));
    });
    return element;
  }

  function details(element, node) {
    element.textContent = "";
    var title = document.createElement("h3");
    title.textContent = (KIND[node.data("label")] || [node.data("label")])[0] + ": " + node.data("name");
    element.appendChild(title);
    element.appendChild(breakable(document.createElement("code"), node.data("key")));
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

  function startZoom(box, width, height) {
    var fit = Math.min((width - 2 * PADDING) / Math.max(box.w, 1), (height - 2 * PADDING) / Math.max(box.h, 1));
    return Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, fit));
  }

  function startView(cy, root) {
    // Fit within the zoom bounds; what does not fit starts at the root (the right end) and pans from there.
    // Returns whether part of the graph is out of view.
    var box = cy.elements().boundingBox({ includeLabels: true });
    var zoom = startZoom(box, cy.width(), cy.height());
    var pan = {};
    if (box.w * zoom <= cy.width() - 2 * PADDING) {
      pan.x = (cy.width() - box.w * zoom) / 2 - box.x1 * zoom;
    } else {
      pan.x = cy.width() - PADDING - box.x2 * zoom;
    }
    if (box.h * zoom <= cy.height() - 2 * PADDING) {
      pan.y = (cy.height() - box.h * zoom) / 2 - box.y1 * zoom;
    } else {
      var y = root.length ? root.position("y") : (box.y1 + box.y2) / 2;
      var top = PADDING - box.y1 * zoom, bottom = cy.height() - PADDING - box.y2 * zoom;
      pan.y = Math.min(top, Math.max(bottom, cy.height() / 2 - y * zoom));
    }
    cy.viewport({ zoom: zoom, pan: pan });
    return box.w * zoom > cy.width() - 2 * PADDING || box.h * zoom > cy.height() - 2 * PADDING;
  }

  function draw(container, data, options) {
    options = options || {};
    var at = positions(data);
    var elements = data.nodes.map(function (n) {
      return {
        group: "nodes", position: at[n.id],
        data: { id: n.id, label: n.label, key: n.key, name: n.name, caption: caption(n),
                colour: COLOUR[n.label] || "#666", root: n.id === data.root ? 1 : 0 }
      };
    }).concat(data.edges.map(function (e, i) {
      var style = EDGE[e.type] || [e.type, "#555", "solid"];
      return {
        group: "edges",
        data: { id: "e" + i, source: e.source, target: e.target, type: e.type, caption: edgeCaption(e),
                colour: style[1], line: style[2], props: e }
      };
    }));
    var cy = window.cytoscape({
      container: container,
      elements: elements,
      layout: { name: "preset", fit: false },
      minZoom: 0.2, maxZoom: 3,
      style: [
        { selector: "node", style: {
          "background-color": "data(colour)", label: "data(caption)", "font-size": FONT, color: "#222",
          "text-wrap": "wrap", "text-max-width": LAYER_GAP - 4, "text-valign": "bottom", "text-margin-y": 4,
          "text-background-color": "#fcfcfc", "text-background-opacity": 0.85, width: 24, height: 24 } },
        { selector: "node[root = 1]", style: { "border-width": 4, "border-color": "#222" } },
        { selector: "node:selected", style: { "border-width": 4, "border-color": "#f1c232" } },
        { selector: "edge", style: {
          width: 1.5, "line-color": "data(colour)", "target-arrow-color": "data(colour)",
          "line-style": "data(line)", "target-arrow-shape": "triangle", "curve-style": "bezier",
          // a channel sits by the reading job, clear of the dataset's own caption
          "source-label": "data(caption)", "source-text-offset": 68, "source-text-rotation": "autorotate", "font-size": 11, color: "#444",
          "text-background-color": "#fcfcfc",
          "text-background-opacity": 0.9, "text-background-padding": 1 } }
      ]
    });
    if (options.fitHeight) {  // as tall as the graph at its start zoom needs, up to maxHeight
      var box = cy.elements().boundingBox({ includeLabels: true });
      var zoom = startZoom(box, cy.width(), 10000);
      var most = options.maxHeight || 640;
      container.style.height = Math.round(Math.max(220, Math.min(most, box.h * zoom + 2 * PADDING))) + "px";
      cy.resize();
    }
    var pans = startView(cy, cy.getElementById(data.root));
    if (pans) {  // say so, or a cut-off column looks like a drawing error
      var note = document.createElement("p");
      note.className = "pan-note muted";
      note.textContent = "Too big to show whole with readable captions: it opens at its root. " +
        "Drag to pan, scroll to zoom out.";
      container.parentNode.insertBefore(note, container.nextSibling);
    }
    var found = options.legend ? legend(options.legend, data) : counts(data);
    if (options.details) {
      cy.on("tap", "node", function (event) { details(options.details, event.target); });
    }
    var view = { root: data.root, cy: cy, counts: found, edgeKinds: edgeKinds(data), pans: pans };
    (window.graphgovViews = window.graphgovViews || []).push(view);
    return view;
  }

  window.graphgovLineage = { draw: draw };
})();
