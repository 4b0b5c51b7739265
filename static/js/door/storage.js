// This conference's entries in the phone's storage: they outlive a reload, and every tab shares them.
import { conferenceId } from "./page.js";

export function storageName(name) { return "confapp." + name + "." + conferenceId; }

export function recall(name, fallback) {
  try {
    const text = localStorage.getItem(storageName(name));
    return text === null ? fallback : JSON.parse(text);
  } catch (e) { return fallback; }
}

export function remember(name, value) { localStorage.setItem(storageName(name), JSON.stringify(value)); }

export function forget(name) { localStorage.removeItem(storageName(name)); }

// Every entry whose name starts with `prefix`, read back; an entry that is not JSON is skipped.
export function entriesNamed(prefix) {
  const found = [];
  for (let i = 0; i < localStorage.length; i++) {
    const name = localStorage.key(i);
    if (!name || name.indexOf(prefix) !== 0) continue;
    try { found.push(JSON.parse(localStorage.getItem(name))); } catch (e) { /* not ours */ }
  }
  return found;
}
