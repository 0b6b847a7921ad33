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

// The operator's own labels per language (GET /themes `labels`, from the theme's configuration) come first, then
// the page's translations of the built-in themes, then the theme's one label.
function ownLabels(name) {
  const theme = catalogue.all.find((item) => item.name === name);
  return theme && theme.labels && typeof theme.labels === "object" ? theme.labels : null;
}

export function themeLabel(name) {
  const labels = ownLabels(name);
  if (labels && typeof labels[I18N.language] === "string") return labels[I18N.language];
  const key = labelKey(name);
  if (I18N.has(key) || I18N.STRINGS.en[key]) return I18N.t(key);
  const theme = catalogue.all.find((item) => item.name === name);
  return (theme && theme.label) || name;
}

// Sets a theme's name so that a language change re-renders it: through i18n for the built-in themes' translations,
// through themeLabel for a theme with labels of its own.
export function setThemeText(node, name) {
  const labels = ownLabels(name);
  if (labels && Object.keys(labels).length) {
    delete node.dataset.i18n;
    node.dataset.themeLabel = name;
    node.textContent = themeLabel(name);
  } else if (name && I18N.STRINGS.en[labelKey(name)]) {
    I18N.setText(node, labelKey(name));
  } else {
    node.textContent = themeLabel(name || "");
  }
}

I18N.onChange(() => {
  document.querySelectorAll("[data-theme-label]").forEach((node) => {
    node.textContent = themeLabel(node.dataset.themeLabel);
  });
});
