// Checks a ledger leaf's inclusion proof in the browser, with no library: RFC 9162 §2.1.3.2
// over crypto.subtle's SHA-256, and the checkpoint's C2SP signed-note signature with Ed25519
// where the browser has it. Reads the page's <script id="ledger-proof" type="application/json">
// and writes the outcome into #verify-result and #verify-steps.
(function () {
  "use strict";

  var data = document.getElementById("ledger-proof");
  var button = document.getElementById("verify-button");
  var result = document.getElementById("verify-result");
  var steps = document.getElementById("verify-steps");
  if (!data || !button || !result || !steps) return;
  var input = JSON.parse(data.textContent);
  var encoder = new TextEncoder();

  function bytes(b64) {
    var text = atob(b64);
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }

  function b64(buffer) {
    var view = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < view.length; i++) text += String.fromCharCode(view[i]);
    return btoa(text);
  }

  function hex(buffer) {
    return Array.prototype.map
      .call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); })
      .join("");
  }

  function concat() {
    var total = 0, offset = 0, i;
    for (i = 0; i < arguments.length; i++) total += arguments[i].length;
    var out = new Uint8Array(total);
    for (i = 0; i < arguments.length; i++) {
      out.set(arguments[i], offset);
      offset += arguments[i].length;
    }
    return out;
  }

  function equal(a, b) {
    a = new Uint8Array(a);
    b = new Uint8Array(b);
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  function sha256(data) {
    return crypto.subtle.digest("SHA-256", data).then(function (d) { return new Uint8Array(d); });
  }

  var LEAF = new Uint8Array([0]);
  var NODE = new Uint8Array([1]);

  // RFC 9162 §2.1.3.2: fold the audit path from the leaf hash up to the root.
  async function rootFromProof(index, size, leafHash, proof) {
    var fn = BigInt(index), sn = BigInt(size) - 1n, r = leafHash;
    if (fn > sn) throw new Error("叶序号不小于树大小");
    for (var i = 0; i < proof.length; i++) {
      var p = proof[i];
      if (p.length !== 32) throw new Error("审计路径第 " + (i + 1) + " 项不是 32 字节");
      if (sn === 0n) throw new Error("审计路径过长");
      if ((fn & 1n) === 1n || fn === sn) {
        r = await sha256(concat(NODE, p, r));
        if ((fn & 1n) === 0n) {
          while (fn !== 0n && (fn & 1n) === 0n) {
            fn >>= 1n;
            sn >>= 1n;
          }
        }
      } else {
        r = await sha256(concat(NODE, r, p));
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    if (sn !== 0n) throw new Error("审计路径过短");
    return r;
  }

  // C2SP signed note: the text up to the blank line, then "— <name> <base64(hash ‖ sig)>" lines.
  function parseNote(note) {
    var split = note.lastIndexOf("\n\n");
    if (split < 0 || note.slice(-1) !== "\n") throw new Error("检查点格式不对");
    var text = note.slice(0, split + 1);
    var lines = text.slice(0, -1).split("\n");
    if (lines.length < 3) throw new Error("检查点缺少行");
    if (!/^(0|[1-9][0-9]*)$/.test(lines[1])) throw new Error("检查点树大小格式不对");
    var signatures = note.slice(split + 2, -1).split("\n").map(function (line) {
      var m = /^\u2014 (\S+) (\S+)$/.exec(line);
      return m ? { name: m[1], blob: bytes(m[2]) } : null;
    });
    return { text: text, origin: lines[0], size: lines[1], root: bytes(lines[2]), signatures: signatures };
  }

  // "<name>+<8 hex key hash>+<base64(0x01 ‖ Ed25519 public key)>"
  async function checkSignature(note, verifierKey) {
    var parts = verifierKey.split("+");
    var name = parts[0], hash = parts[1], key = bytes(parts.slice(2).join("+"));
    if (key.length !== 33 || key[0] !== 1) throw new Error("验证密钥不是 Ed25519 密钥");
    var expected = (await sha256(concat(encoder.encode(name + "\n"), key))).slice(0, 4);
    if (hex(expected) !== hash) throw new Error("验证密钥的哈希与密钥不符");
    var line = note.signatures.filter(function (s) {
      return s && s.name === name && s.blob.length === 68 && equal(s.blob.slice(0, 4), expected);
    })[0];
    if (!line) throw new Error("检查点上没有该密钥的签名");
    var publicKey;
    try {
      publicKey = await crypto.subtle.importKey("raw", key.slice(1), { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      return null; // this browser has no Ed25519
    }
    return crypto.subtle.verify({ name: "Ed25519" }, publicKey, line.blob.slice(4), encoder.encode(note.text));
  }

  function step(ok, text) {
    var li = document.createElement("li");
    li.className = ok === true ? "ok" : ok === false ? "bad" : "warn";
    li.textContent = (ok === true ? "✓ " : ok === false ? "✗ " : "– ") + text;
    steps.appendChild(li);
    return ok !== false;
  }

  function verdict(passed, text) {
    result.hidden = false;
    result.className = "verdict " + (passed ? "ok" : "bad");
    result.textContent = text;
  }

  async function verify() {
    steps.textContent = "";
    if (!window.crypto || !crypto.subtle) {
      verdict(false, "未能核验：浏览器只在 HTTPS 页面上提供 Web Crypto，请用离线工具核验。");
      return;
    }
    var passed = true;
    var leafHash = await sha256(concat(LEAF, bytes(input.leaf)));
    passed = step(equal(leafHash, bytes(input.leaf_hash)),
      "叶哈希：SHA-256(0x00‖叶数据) = " + b64(leafHash)) && passed;

    var note = parseNote(input.checkpoint);
    passed = step(note.size === String(input.size) && equal(note.root, bytes(input.root_hash)),
      "检查点：树大小 " + note.size + "，根哈希 " + b64(note.root)) && passed;

    var signed = await checkSignature(note, input.verifier_key);
    if (signed === null) {
      step(null, "签名：本浏览器不支持 Ed25519，未核验检查点签名（可用离线工具核验）");
    } else {
      passed = step(signed, "签名：检查点由 " + note.origin + " 的密钥签署" + (signed ? "" : "——签名无效")) && passed;
    }

    var proof = input.proof.map(bytes);
    var root = await rootFromProof(input.index, input.size, leafHash, proof);
    passed = step(equal(root, note.root),
      "包含证明：由叶哈希与 " + proof.length + " 个审计路径哈希算得根哈希 " + b64(root)) && passed;

    verdict(passed, passed
      ? "通过：第 " + input.index + " 号叶包含在树大小为 " + input.size + " 的已签名账本中。"
      : "未通过：该叶与检查点不符，请勿采信，并向平台或当地农业农村部门反映。");
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    verify()
      .catch(function (e) { verdict(false, "未通过：" + e.message); })
      .then(function () { button.disabled = false; });
  });
})();
