// Korean and English strings for the booth page and the wall, and the small machinery that applies them.
//
// Elements name their string with data-i18n="key" (text) and data-i18n-vars='{"n": 3}' (placeholders);
// data-i18n-attr="aria-label:key;title:key" sets attributes. Changing the language re-renders all of them,
// including text set at run time through setText(). window.PhotoboothI18n exposes the same object to tests.

const STRINGS = {
  en: {
    "app.title": "Photo Booth",
    "app.tagline": "Strike a pose — we'll take you somewhere magical.",
    "lang.switch": "한국어",
    "lang.switchLabel": "한국어 — switch the language to Korean",
    "fullscreen.enter": "Full screen",
    "fullscreen.exit": "Exit full screen",

    "capture.take": "Take photo",
    "capture.choose": "Choose a photo",
    "capture.starting": "Starting the camera…",
    "capture.noCamera": "No camera here — choose a photo instead.",
    "capture.denied": "The camera is blocked — choose a photo instead.",
    "capture.hint": "Look at the camera and smile!",
    "capture.countdown": "Taking the photo in {n}",
    "capture.reading": "Reading your photo…",

    "review.title": "Looking good! Pick your worlds",
    "review.photoAlt": "Your photo",
    "review.themes": "Themes",
    "review.themesHint": "Choose one or more",
    "review.themesLoading": "Loading themes…",
    "review.themesFailed": "Couldn't load the themes — retrying…",
    "review.consent": "I agree that my photo is used only to make these pictures.",
    "review.consentDetails":
      "The photo and the pictures are deleted automatically after {days} days — or right away with the “Delete my photos” button.",
    "review.consentDetailsSplit":
      "Your photo is deleted automatically after {photoDays} days, the pictures made from it after {pictureDays} days — or all of it right away with the “Delete my photos” button.",
    "review.upload": "Make my pictures",
    "review.retake": "Retake",
    "review.needConsent": "Tick “I agree…” to continue.",
    "review.needTheme": "Choose at least one theme.",
    "review.ready": "Ready when you are!",

    "progress.uploading": "Sending your photo…",
    "progress.waiting": "Painting your new worlds…",
    "progress.counting": "{done} of {total} ready…",
    "results.done": "Your pictures are ready! Scan a code to open one on your phone.",
    "results.partial": "Some pictures couldn't be made, but here are the others.",
    "result.alt": "Your picture: {theme}",
    "result.qrLabel": "QR code that opens the picture “{theme}” on your phone",
    "result.scan": "Scan to open on your phone",
    "result.tooLong": "Link too long for a QR code",
    "result.failed": "This one didn't work",
    "result.pending": "Creating…",
    "result.close": "Close",
    "result.enlarge": "Show larger",

    "actions.delete": "Delete my photos",
    "actions.deleteConfirm": "Delete your photo and all its pictures now? This can't be undone.",
    "actions.deleteYes": "Yes, delete",
    "actions.deleteNo": "Cancel",
    "actions.deleting": "Deleting…",
    "actions.deleted": "Done — your photo and pictures have been deleted.",
    "actions.deleteFailed": "Couldn't delete right now. Please try again.",
    "actions.startOver": "Start over",
    "actions.retry": "Try again",
    "actions.retake": "Take a new photo",

    "error.title": "Oops!",
    "error.NO_FACE": "We couldn't see a face — step closer and try again.",
    "error.INVALID_IMAGE": "That picture couldn't be read. Please take another one.",
    "error.TOO_LARGE": "That picture is too big. Take a new one or choose a smaller file.",
    "error.UNSUPPORTED_TYPE": "That kind of file doesn't work here — please use a JPEG or PNG photo.",
    "error.MODERATION_REJECTED": "We can't use that photo. Please try a different one.",
    "error.GENERATION_FAILED": "The picture machine hiccupped. Please try again.",
    "error.INTERNAL": "Something went wrong on our side. Please try again.",
    "error.NETWORK":
      "The booth can't reach its server. Staff: check the network and that the server is running, then tap Try again — the request is kept.",
    "error.TIMEOUT": "This is taking too long. Please try again.",
    "error.REQUEST_REJECTED": "The booth couldn't accept that: {message}",
    "setup.boothKey": "Booth key (from the operator's deployment output):",
    "error.UNKNOWN": "Something went wrong. Please try again.",

    "share.title": "Your booth pictures",
    "share.loading": "Loading your pictures…",
    "share.pending": "Your pictures are still being made — this page updates by itself.",
    "share.ready": "Touch and hold a picture to save it, or use the button.",
    "share.gone": "These pictures have been deleted or are no longer available.",
    "share.save": "Save picture",

    "theme.unicorn-meadow": "Unicorn meadow",
    "theme.floating-city": "Floating city",
    "theme.cosmos": "Cosmos",
    "theme.forest": "Enchanted forest",
    "theme.beach": "Tropical beach",

    "attract.title": "Tap to start",
    "attract.subtitle": "Become the star of a magical picture — it takes about a minute.",
    "attract.start": "Start",
    "attract.privacy": "The camera turns on only after you tap.",
    "attract.sampleAlt": "Sample picture: {theme}",
    "idle.notice": "Back to start in {n} s — tap to stay",
    "review.wallConsent": "Show my pictures on the event screen",
    "review.wallConsentDetails":
      "Optional. Your pictures join the slideshow on the big screen until you delete them; its copies are deleted after {pictureDays} days.",
    "review.themesUnavailable": "The themes can't load right now — please ask a member of staff.",
    "progress.title": "Making your pictures",
    "progress.expected": "Usually ready in about {s} s.",
    "progress.estimate": "Ready in {time} — {queue}",
    "wait.underAMinute": "less than a minute",
    "wait.aboutAMinute": "about 1 minute",
    "wait.aboutMinutes": "about {m} minutes",
    "wait.noOneAhead": "no one ahead",
    "wait.oneAhead": "1 visitor ahead",
    "wait.manyAhead": "{n} visitors ahead",
    "results.title": "Your pictures",
    "result.progressLabel": "Progress of the picture “{theme}”",
    "actions.startOverConfirm": "Your pictures are still being made. Start over and leave them behind?",
    "actions.startOverYes": "Yes, start over",
    "actions.keepWaiting": "Keep waiting",
    "offline.banner": "The connection is lost — your pictures continue as soon as it is back.",
    "share.share": "Share",
    "share.availableUntil": "Available until {date}",
    "code.forStaff": "Code for staff: {code}",
    "results.qrThisDeviceOnly": "These QR codes open on this device only: phones cannot reach this booth.",
    "share.availableUntilSplit":
      "Available until {date}. The pictures themselves are deleted automatically after {pictureDays} days.",
    "results.deletedTitle": "All deleted",
    "reconnect.title": "Reconnecting to the booth…",
    "reconnect.staff":
      "Staff: the booth's server is not answering — check that it is running and reachable. The visitor's request is kept.",
    "kiosk.title": "Operator settings",
    "kiosk.pinLabel": "Operator PIN",
    "kiosk.unlock": "Unlock",
    "kiosk.wrongPin": "That PIN is not right. Try again in {seconds} s.",
    "kiosk.wait": "Too many tries. Try again in {seconds} s.",
    "kiosk.noPin": "Operator mode is off: no operator PIN is set for this booth.",
    "kiosk.unavailable": "The booth's server did not answer. Try again.",
    "kiosk.logoInvalid": "Use a file of this booth (for example /logo.png) or a data: image, not another website.",
    "kiosk.cancel": "Cancel",
    "kiosk.themes": "Themes offered",
    "kiosk.language": "Default language",
    "kiosk.timeouts": "Back to start after (seconds)",
    "kiosk.timeout.camera": "Camera",
    "kiosk.timeout.review": "Review",
    "kiosk.timeout.results": "Results",
    "kiosk.timeout.error": "Error",
    "kiosk.eventTitle": "Event title",
    "kiosk.logo": "Logo (a file of this booth, e.g. /logo.png, or a data: image)",
    "kiosk.hideFullscreen": "Hide the Full screen button",
    "kiosk.hideFile": "Hide “Choose a photo”",
    "kiosk.wakeLock": "Keep the screen on (Screen Wake Lock)",
    "kiosk.save": "Save and exit",
    "kiosk.reset": "Restore the defaults",
    "lang.name.en": "English",
    "lang.name.ko": "한국어",
    "wall.title": "Event wall",
    "wall.empty": "Pictures appear here when visitors choose to show them.",
    "wall.alt": "A visitor's picture: {theme}",
  },
  ko: {
    "app.title": "포토부스",
    "app.tagline": "포즈를 취해 보세요 — 멋진 곳으로 데려다 드릴게요.",
    "lang.switch": "English",
    "lang.switchLabel": "English — 영어로 바꾸기",
    "fullscreen.enter": "전체 화면",
    "fullscreen.exit": "전체 화면 종료",

    "capture.take": "사진 찍기",
    "capture.choose": "사진 선택",
    "capture.starting": "카메라를 켜는 중…",
    "capture.noCamera": "카메라가 없어요 — 대신 사진을 선택해 주세요.",
    "capture.denied": "카메라를 사용할 수 없어요 — 대신 사진을 선택해 주세요.",
    "capture.hint": "카메라를 보고 웃어 주세요!",
    "capture.countdown": "{n}초 후에 사진을 찍어요",
    "capture.reading": "사진을 읽는 중…",

    "review.title": "멋져요! 테마를 골라 주세요",
    "review.photoAlt": "내 사진",
    "review.themes": "테마",
    "review.themesHint": "하나 이상 골라 주세요",
    "review.themesLoading": "테마를 불러오는 중…",
    "review.themesFailed": "테마를 불러오지 못했어요 — 다시 시도하는 중…",
    "review.consent": "내 사진이 이 이미지를 만드는 데에만 사용되는 것에 동의합니다.",
    "review.consentDetails":
      "사진과 이미지는 {days}일 후 자동으로 삭제되며, ‘내 사진 삭제’ 버튼으로 바로 삭제할 수도 있어요.",
    "review.consentDetailsSplit":
      "사진은 {photoDays}일 후, 사진으로 만든 이미지는 {pictureDays}일 후 자동으로 삭제되며, ‘내 사진 삭제’ 버튼으로 모두 바로 삭제할 수도 있어요.",
    "review.upload": "내 사진 만들기",
    "review.retake": "다시 찍기",
    "review.needConsent": "계속하려면 ‘내 사진이…’ 상자에 체크해 주세요.",
    "review.needTheme": "테마를 하나 이상 골라 주세요.",
    "review.ready": "준비되면 눌러 주세요!",

    "progress.uploading": "사진을 보내는 중…",
    "progress.waiting": "새로운 세상을 그리고 있어요…",
    "progress.counting": "{total}장 중 {done}장 완성…",
    "results.done": "사진이 완성됐어요! QR 코드를 스캔하면 휴대폰에서 열 수 있어요.",
    "results.partial": "일부 사진은 만들지 못했지만, 나머지는 여기 있어요.",
    "result.alt": "내 사진: {theme}",
    "result.qrLabel": "‘{theme}’ 사진을 휴대폰에서 여는 QR 코드",
    "result.scan": "휴대폰으로 스캔해서 열기",
    "result.tooLong": "링크가 너무 길어 QR 코드를 만들 수 없어요",
    "result.failed": "이 사진은 만들지 못했어요",
    "result.pending": "만드는 중…",
    "result.close": "닫기",
    "result.enlarge": "크게 보기",

    "actions.delete": "내 사진 삭제",
    "actions.deleteConfirm": "사진과 모든 이미지를 지금 삭제할까요? 되돌릴 수 없어요.",
    "actions.deleteYes": "네, 삭제할게요",
    "actions.deleteNo": "취소",
    "actions.deleting": "삭제하는 중…",
    "actions.deleted": "완료 — 사진과 이미지가 모두 삭제되었어요.",
    "actions.deleteFailed": "지금은 삭제할 수 없어요. 다시 시도해 주세요.",
    "actions.startOver": "처음으로",
    "actions.retry": "다시 시도",
    "actions.retake": "새 사진 찍기",

    "error.title": "앗!",
    "error.NO_FACE": "얼굴이 보이지 않아요 — 조금 더 가까이 와서 다시 찍어 주세요.",
    "error.INVALID_IMAGE": "사진을 읽을 수 없어요. 다시 찍어 주세요.",
    "error.TOO_LARGE": "사진이 너무 커요. 새로 찍거나 더 작은 파일을 골라 주세요.",
    "error.UNSUPPORTED_TYPE": "이 파일 형식은 사용할 수 없어요 — JPEG 또는 PNG 사진을 사용해 주세요.",
    "error.MODERATION_REJECTED": "이 사진은 사용할 수 없어요. 다른 사진으로 시도해 주세요.",
    "error.GENERATION_FAILED": "이미지를 만드는 중에 문제가 생겼어요. 다시 시도해 주세요.",
    "error.INTERNAL": "저희 쪽에 문제가 생겼어요. 다시 시도해 주세요.",
    "error.NETWORK":
      "포토부스가 서버에 연결할 수 없어요. 진행 요원: 네트워크와 서버가 켜져 있는지 확인한 뒤 ‘다시 시도’를 눌러 주세요 — 요청은 그대로 있어요.",
    "error.TIMEOUT": "시간이 너무 오래 걸리고 있어요. 다시 시도해 주세요.",
    "error.REQUEST_REJECTED": "요청을 처리할 수 없어요: {message}",
    "setup.boothKey": "부스 키를 입력하세요 (운영자 배포 출력값):",
    "error.UNKNOWN": "문제가 생겼어요. 다시 시도해 주세요.",

    "share.title": "포토부스 사진",
    "share.loading": "사진을 불러오는 중…",
    "share.pending": "사진을 아직 만들고 있어요 — 이 페이지는 자동으로 업데이트돼요.",
    "share.ready": "사진을 길게 누르거나 버튼을 눌러 저장하세요.",
    "share.gone": "사진이 삭제되었거나 더 이상 볼 수 없어요.",
    "share.save": "사진 저장",

    "theme.unicorn-meadow": "유니콘 초원",
    "theme.floating-city": "하늘에 뜬 도시",
    "theme.cosmos": "우주",
    "theme.forest": "마법의 숲",
    "theme.beach": "열대 해변",

    "attract.title": "터치해서 시작하기",
    "attract.subtitle": "마법 같은 사진의 주인공이 되어 보세요 — 1분 정도 걸려요.",
    "attract.start": "시작",
    "attract.privacy": "화면을 터치해야 카메라가 켜져요.",
    "attract.sampleAlt": "예시 사진: {theme}",
    "idle.notice": "{n}초 후 처음 화면으로 돌아가요 — 계속하려면 화면을 터치하세요",
    "review.wallConsent": "행사 화면에 내 사진 보여 주기",
    "review.wallConsentDetails":
      "선택 사항이에요. 삭제하기 전까지 큰 화면의 슬라이드쇼에 사진이 나오며, 화면용 사본은 {pictureDays}일 후 삭제돼요.",
    "review.themesUnavailable": "지금은 테마를 불러올 수 없어요 — 진행 요원에게 문의해 주세요.",
    "progress.title": "사진을 만드는 중",
    "progress.expected": "보통 {s}초 정도 걸려요.",
    "progress.estimate": "{time} — {queue}",
    "wait.underAMinute": "1분 안에 완성",
    "wait.aboutAMinute": "약 1분 후 완성",
    "wait.aboutMinutes": "약 {m}분 후 완성",
    "wait.noOneAhead": "대기 없음",
    "wait.oneAhead": "앞에 1명 대기",
    "wait.manyAhead": "앞에 {n}명 대기",
    "results.title": "내 사진",
    "result.progressLabel": "‘{theme}’ 사진 진행률",
    "actions.startOverConfirm": "사진을 아직 만들고 있어요. 처음으로 돌아가면 이 사진들을 볼 수 없어요. 계속할까요?",
    "actions.startOverYes": "네, 처음으로",
    "actions.keepWaiting": "계속 기다리기",
    "offline.banner": "연결이 끊겼어요 — 다시 연결되면 바로 이어서 진행돼요.",
    "share.share": "공유",
    "share.availableUntil": "{date}까지 볼 수 있어요",
    "code.forStaff": "직원용 코드: {code}",
    "results.qrThisDeviceOnly": "이 QR 코드는 이 기기에서만 열려요: 휴대폰은 이 부스에 연결할 수 없어요.",
    "share.availableUntilSplit": "{date}까지 볼 수 있어요. 이미지 자체는 {pictureDays}일 후 자동으로 삭제돼요.",
    "results.deletedTitle": "모두 삭제했어요",
    "reconnect.title": "포토부스에 다시 연결하는 중…",
    "reconnect.staff": "진행 요원: 포토부스 서버가 응답하지 않아요 — 서버가 켜져 있고 연결되어 있는지 확인해 주세요. 방문객의 요청은 그대로 있어요.",
    "kiosk.title": "운영자 설정",
    "kiosk.pinLabel": "운영자 PIN",
    "kiosk.unlock": "잠금 해제",
    "kiosk.wrongPin": "PIN이 올바르지 않아요. {seconds}초 후에 다시 시도하세요.",
    "kiosk.wait": "시도가 너무 많아요. {seconds}초 후에 다시 시도하세요.",
    "kiosk.noPin": "운영자 모드가 꺼져 있어요: 이 부스에는 운영자 PIN이 설정되지 않았어요.",
    "kiosk.unavailable": "부스 서버가 응답하지 않았어요. 다시 시도하세요.",
    "kiosk.logoInvalid": "이 부스의 파일(예: /logo.png)이나 data: 이미지를 쓰세요. 다른 웹사이트의 주소는 안 돼요.",
    "kiosk.cancel": "취소",
    "kiosk.themes": "제공할 테마",
    "kiosk.language": "기본 언어",
    "kiosk.timeouts": "처음 화면으로 돌아가는 시간(초)",
    "kiosk.timeout.camera": "카메라",
    "kiosk.timeout.review": "사진 확인",
    "kiosk.timeout.results": "결과",
    "kiosk.timeout.error": "오류",
    "kiosk.eventTitle": "행사 제목",
    "kiosk.logo": "로고(이 부스의 파일, 예: /logo.png, 또는 data: 이미지)",
    "kiosk.hideFullscreen": "전체 화면 버튼 숨기기",
    "kiosk.hideFile": "‘사진 선택’ 숨기기",
    "kiosk.wakeLock": "화면 켜짐 유지(Screen Wake Lock)",
    "kiosk.save": "저장하고 나가기",
    "kiosk.reset": "기본값으로 되돌리기",
    "lang.name.en": "English",
    "lang.name.ko": "한국어",
    "wall.title": "행사 사진",
    "wall.empty": "방문객이 보여 주기를 선택한 사진이 여기에 나와요.",
    "wall.alt": "방문객 사진: {theme}",
  },
};

const LANGUAGES = Object.keys(STRINGS);
let current = "en";

function detect() {
  const fromQuery = new URLSearchParams(window.location.search).get("lang");
  if (fromQuery && STRINGS[fromQuery]) return fromQuery;
  const preferred = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]) || [];
  for (const tag of preferred) {
    const base = String(tag || "").toLowerCase().split("-")[0];
    if (STRINGS[base]) return base;
  }
  return "en";
}

function has(key) {
  return Object.prototype.hasOwnProperty.call(STRINGS[current], key);
}

function t(key, vars) {
  const table = STRINGS[current];
  let text = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : STRINGS.en[key];
  if (text === undefined) return key;
  if (vars) {
    text = text.replace(/\{(\w+)\}/g, (match, name) => (vars[name] === undefined ? match : String(vars[name])));
  }
  return text;
}

function varsOf(el) {
  if (!el.dataset.i18nVars) return undefined;
  try {
    return JSON.parse(el.dataset.i18nVars);
  } catch (err) {
    return undefined;
  }
}

function apply(root) {
  const scope = root || document;
  scope.querySelectorAll("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n, varsOf(el));
  });
  scope.querySelectorAll("[data-i18n-attr]").forEach((el) => {
    const vars = varsOf(el);
    el.dataset.i18nAttr.split(";").forEach((pair) => {
      const [attr, key] = pair.split(":").map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key, vars));
    });
  });
}

// Sets an element's text through a key so that a later language change re-renders it.
function setText(el, key, vars) {
  if (!el) return;
  if (!key) {
    delete el.dataset.i18n;
    delete el.dataset.i18nVars;
    el.textContent = "";
    return;
  }
  el.dataset.i18n = key;
  if (vars) el.dataset.i18nVars = JSON.stringify(vars);
  else delete el.dataset.i18nVars;
  el.textContent = t(key, vars);
}

function setAttr(el, attr, key, vars) {
  if (!el) return;
  const pairs = (el.dataset.i18nAttr || "")
    .split(";")
    .filter((pair) => pair && pair.split(":")[0].trim() !== attr);
  pairs.push(`${attr}:${key}`);
  el.dataset.i18nAttr = pairs.join(";");
  if (vars) el.dataset.i18nVars = JSON.stringify(vars);
  el.setAttribute(attr, t(key, vars));
}

const listeners = [];

function setLanguage(lang) {
  if (!STRINGS[lang]) return;
  current = lang;
  document.documentElement.lang = lang;
  apply(document);
  listeners.forEach((fn) => fn(lang));
}

const I18N = {
  STRINGS,
  LANGUAGES,
  detect,
  has,
  t,
  apply,
  setText,
  setAttr,
  setLanguage,
  onChange: (fn) => listeners.push(fn),
  get language() {
    return current;
  },
};

window.PhotoboothI18n = I18N;
export default I18N;
