// The pipeline board (a Telegram Mini App): plain JavaScript, nothing loaded from elsewhere.
// Every request carries Telegram's initData ("Authorization: tma <initData>"), read from
// Telegram.WebApp when its script is there, else from the URL fragment (#tgWebAppData=…), which
// is how Telegram hands it to every Mini App.
"use strict";

(function () {
  const texts = JSON.parse(document.getElementById("texts").textContent);
  const boardElement = document.getElementById("board");
  const statusElement = document.getElementById("status");
  const filtersForm = document.getElementById("filters");
  const cardDialog = document.getElementById("card");
  const lostDialog = document.getElementById("lost");
  let current = null; // the board as last loaded
  let filtersFilled = false;
  let pendingLost = null; // the deal id waiting for a lost reason

  function initData() {
    const webApp = window.Telegram && window.Telegram.WebApp;
    if (webApp && webApp.initData) {
      return webApp.initData;
    }
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    return fragment.get("tgWebAppData") || "";
  }

  function element(tag, className, text) {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined && text !== null) made.textContent = text;
    return made;
  }

  function say(text, isError) {
    statusElement.textContent = text;
    statusElement.classList.toggle("error", Boolean(isError));
  }

  function forget() {
    // Nothing of the data stays on the page once the server refuses.
    current = null;
    boardElement.replaceChildren();
    boardElement.hidden = true;
    filtersForm.hidden = true;
    document.getElementById("hint").hidden = true;
    if (cardDialog.open) cardDialog.close();
    if (lostDialog.open) lostDialog.close();
  }

  async function call(path, options) {
    const data = initData();
    if (!data) {
      return { status: 401, body: null };
    }
    const headers = Object.assign({ Authorization: "tma " + data }, (options || {}).headers);
    let response;
    try {
      response = await fetch(path, Object.assign({}, options, { headers: headers }));
    } catch (error) {
      return { status: 0, body: null };
    }
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    return { status: response.status, body: body };
  }

  function refused(status) {
    if (status === 401 || status === 403) {
      forget();
      say(status === 401 ? texts.unauthorized : texts.forbidden, true);
      return true;
    }
    return false;
  }

  function filterQuery() {
    const query = new URLSearchParams();
    for (const name of ["rep", "timeframe", "month"]) {
      const value = filtersForm.elements[name].value;
      if (value) query.set(name, value);
    }
    return query.toString();
  }

  async function load() {
    const answer = await call("/board/api/deals?" + filterQuery());
    if (refused(answer.status)) return;
    if (answer.status !== 200 || !answer.body) {
      say(texts.failed, true);
      return;
    }
    const language = document.body.dataset.language;
    if (answer.body.language && answer.body.language !== language) {
      const query = new URLSearchParams(window.location.search);
      if (query.get("lang") !== answer.body.language) {
        query.set("lang", answer.body.language);
        window.location.replace("/board?" + query.toString() + window.location.hash);
        return;
      }
    }
    current = answer.body;
    fillFilters(current);
    draw(current);
    if (statusElement.dataset.keep !== "1") say("");
    statusElement.dataset.keep = "";
  }

  function option(value, text) {
    const made = element("option", "", text);
    made.value = value;
    return made;
  }

  function fillFilters(board) {
    if (filtersFilled) return;
    filtersFilled = true;
    const rep = filtersForm.elements.rep;
    for (const person of board.reps) rep.append(option(String(person.id), person.name));
    rep.parentElement.hidden = board.reps.length < 2;
    const timeframe = filtersForm.elements.timeframe;
    for (const item of board.timeframes) timeframe.append(option(item.key, item.name));
    const reason = document.getElementById("lost-reason");
    for (const item of board.lost_reasons) reason.append(option(item.key, item.name));
  }

  function sums(list) {
    return list.map(function (item) { return item.text; }).join(" + ") || "0";
  }

  function draw(board) {
    filtersForm.hidden = false;
    document.getElementById("hint").hidden = false;
    if (!board.may_move) document.getElementById("hint").textContent = texts.read_only;
    const columns = board.columns.map(function (column) {
      const section = element("section", "column" + (column.is_open ? "" : " closed"));
      section.dataset.stage = column.key;
      const head = element("header", "column-head");
      const title = element("h2", "", column.name);
      const count = element("span", "count", String(column.count));
      count.title = texts.deals;
      title.append(" ", count);
      head.append(title);
      head.append(element("p", "total", sums(column.totals)));
      head.append(element("p", "weighted", texts.weighted + " " + sums(column.weighted)));
      section.append(head);
      const list = element("div", "cards");
      for (const card of column.cards) list.append(drawCard(card, column, board));
      if (!column.cards.length) list.append(element("p", "empty", texts.empty));
      if (column.count > column.cards.length) {
        list.append(element("p", "more", String(column.count - column.cards.length) + " " + texts.more));
      }
      section.append(list);
      if (board.may_move) {
        section.addEventListener("dragover", function (event) {
          event.preventDefault();
          section.classList.add("over");
        });
        section.addEventListener("dragleave", function () { section.classList.remove("over"); });
        section.addEventListener("drop", function (event) {
          event.preventDefault();
          section.classList.remove("over");
          const dealId = Number(event.dataTransfer.getData("text/plain"));
          const here = column.cards.some(function (card) { return card.id === dealId; });
          if (dealId && !here) move(dealId, column.key); // dropped back where it was: nothing
        });
      }
      return section;
    });
    boardElement.replaceChildren.apply(boardElement, columns);
    boardElement.hidden = false;
  }

  function drawCard(card, column, board) {
    const item = element("article", "card");
    item.dataset.deal = String(card.id);
    item.tabIndex = 0;
    item.append(element("h3", "", card.title));
    item.append(element("p", "customer", card.customer));
    item.append(element("p", "amount", card.amount_text));
    item.append(element("p", "owner", card.owner));
    if (board.may_move) {
      item.draggable = true;
      item.addEventListener("dragstart", function (event) {
        event.dataTransfer.setData("text/plain", String(card.id));
        event.dataTransfer.effectAllowed = "move";
      });
    }
    item.addEventListener("click", function () { openCard(card, column, board); });
    item.addEventListener("keydown", function (event) {
      if (event.key === "Enter") openCard(card, column, board);
    });
    return item;
  }

  function detail(list, name, value) {
    if (value === null || value === undefined || value === "") return;
    list.append(element("dt", "", name), element("dd", "", value));
  }

  function openCard(card, column, board) {
    const body = [element("h3", "", card.title)];
    const list = element("dl", "");
    detail(list, texts.customer, card.customer);
    detail(list, texts.owner, card.owner);
    detail(list, texts.value, card.amount_text + " · " + card.probability + "% → " + card.weighted_text);
    detail(list, texts.close, card.close_text);
    detail(list, texts.buying, card.timeframe_text);
    detail(list, texts.lost_reason, [card.lost_text, card.lost_note].filter(Boolean).join(": "));
    body.push(list);
    const actions = element("menu", "");
    if (board.may_move) {
      const select = element("select", "");
      select.id = "move-to";
      select.append(option("", texts.move_to));
      for (const other of board.columns) {
        if (other.key !== column.key) select.append(option(other.key, other.name));
      }
      const moveButton = element("button", "", texts.move);
      moveButton.type = "button";
      moveButton.id = "move-button";
      moveButton.addEventListener("click", function () {
        if (!select.value) return;
        cardDialog.close();
        move(card.id, select.value);
      });
      actions.append(select, moveButton);
    }
    const closeButton = element("button", "", texts.close_card);
    closeButton.type = "button";
    closeButton.addEventListener("click", function () { cardDialog.close(); });
    actions.append(closeButton);
    body.push(actions);
    cardDialog.replaceChildren.apply(cardDialog, body);
    cardDialog.showModal();
  }

  function stageName(key) {
    const column = (current && current.columns.find(function (c) { return c.key === key; })) || null;
    return column ? column.name : key;
  }

  function seenOf(dealId) {
    // The deal's moves when the board was drawn: a move someone else made since is not undone.
    for (const column of (current && current.columns) || []) {
      for (const card of column.cards) {
        if (card.id === dealId) return card.seen;
      }
    }
    return null;
  }

  function isLost(key) {
    const column = current && current.columns.find(function (c) { return c.key === key; });
    return Boolean(column && column.is_lost);
  }

  async function move(dealId, stage, reason, note) {
    if (isLost(stage) && !reason) {
      pendingLost = dealId;
      document.getElementById("lost-note").value = "";
      document.getElementById("lost-error").hidden = true;
      lostDialog.showModal();
      return false;
    }
    const answer = await call("/board/api/deals/" + dealId + "/stage", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        stage: stage,
        reason: reason || null,
        note: note || null,
        seen: seenOf(dealId),
      }),
    });
    if (refused(answer.status)) return false;
    if (answer.status === 200) {
      say(texts.moved + " " + stageName(stage) + ".");
      statusElement.dataset.keep = "1";
      await load();
      return true;
    }
    const code = (answer.body && answer.body.error) || "failed";
    if (code === "note_needed" || code === "reason_needed") {
      return code;
    }
    say(texts[code] || texts.failed, true);
    statusElement.dataset.keep = "1";
    await load();
    return false;
  }

  document.getElementById("lost-cancel").addEventListener("click", function () {
    pendingLost = null;
    lostDialog.close();
  });
  document.getElementById("lost-confirm").addEventListener("click", async function () {
    if (pendingLost === null) return;
    const reason = document.getElementById("lost-reason").value;
    const note = document.getElementById("lost-note").value;
    const outcome = await move(pendingLost, lostStage(), reason || "", note);
    if (outcome === "note_needed" || outcome === "reason_needed") {
      const problem = document.getElementById("lost-error");
      problem.textContent = texts[outcome];
      problem.hidden = false;
      return;
    }
    pendingLost = null;
    if (lostDialog.open) lostDialog.close();
  });

  function lostStage() {
    const column = current && current.columns.find(function (c) { return c.is_lost; });
    return column ? column.key : "lost";
  }

  filtersForm.addEventListener("change", function () { load(); });
  document.getElementById("filter-clear").addEventListener("click", function () {
    filtersForm.reset();
    load();
  });

  const webApp = window.Telegram && window.Telegram.WebApp;
  if (webApp) {
    if (webApp.ready) webApp.ready();
    if (webApp.expand) webApp.expand();
  }
  load();
})();
