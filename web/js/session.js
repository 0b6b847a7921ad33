// One visitor's session: what startOver() forgets. The run counter cancels an upload or poll still in flight
// when the visitor moves on (each async step checks that its run is still the current one).
export const session = {
  photo: null, // {blob, contentType, extension, objectUrl}
  requestId: null,
  requestThemes: [],
  ticket: null, // the POST /upload answer, kept so that "Try again" reuses it instead of starting a new request
  ticketAt: 0,
  uploaded: false, // the bytes reached the bucket: the request exists and only needs polling
  terminal: false,
  run: 0,
};

export function nextRun() {
  session.run += 1;
  return session.run;
}

export function setPhoto(blob, contentType, extension) {
  if (session.photo && session.photo.objectUrl) URL.revokeObjectURL(session.photo.objectUrl);
  session.photo = { blob, contentType, extension, objectUrl: URL.createObjectURL(blob) };
}

export function forgetVisitor() {
  nextRun();
  if (session.photo && session.photo.objectUrl) URL.revokeObjectURL(session.photo.objectUrl);
  Object.assign(session, {
    photo: null,
    requestId: null,
    requestThemes: [],
    ticket: null,
    ticketAt: 0,
    uploaded: false,
    terminal: false,
  });
}
