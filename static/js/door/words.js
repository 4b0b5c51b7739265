// The words the steward reads: what an answer means, the kinds of pass, and times of day.

export const WORDS = {
  admitted: "ADMITTED", left: "LEFT", already_inside: "ALREADY INSIDE",
  not_inside: "NOT INSIDE", revoked: "REVOKED", not_approved: "NOT APPROVED",
  unknown: "UNKNOWN", other_conference: "OTHER CONFERENCE",
};

const PASSES = {
  delegate: "Delegate", alternate: "Alternate", visitor: "Visitor",
  observer: "Observer", press: "Press", staff: "Staff",
};

export function passName(passType) { return PASSES[passType] || passType; }

export function clock(iso) {
  if (!iso) return "?";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
