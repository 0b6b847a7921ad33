// The themes the API offers (GET /themes), narrowed to those the operator chose in kiosk mode, and their labels.
import I18N from "./i18n.js";
import { settings } from "./settings.js";

export const catalogue = { all: [], loaded: false, failed: false };

export function offeredThemes() {
  const chosen = settings().themes;
  if (!Array.isArray(chosen) || chosen.length === 0) return catalogue.all;
  const offered = catalogue.all.filter((theme) => chosen.includes(theme.name));
  return offered.length ? offered : catalogue.all;
}

const labelKey = (name) => `theme.${name}`;

export function themeLabel(name) {
  const key = labelKey(name);
  if (I18N.has(key) || I18N.STRINGS.en[key]) return I18N.t(key);
  const theme = catalogue.all.find((item) => item.name === name);
  return (theme && theme.label) || name;
}

// Sets a theme's name through i18n when we have a translation, so a language change re-renders it.
export function setThemeText(node, name) {
  if (name && I18N.STRINGS.en[labelKey(name)]) I18N.setText(node, labelKey(name));
  else node.textContent = themeLabel(name || "");
}
