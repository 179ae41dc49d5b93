import jsQR from 'jsqr';
import { useEffect, useRef, useState } from 'react';

/** Frames are read this often: enough to catch a code held up to the camera, light on an old laptop. */
const SCAN_EVERY_MS = 200;
/** Frames are scaled down to this width before decoding (an invite's QR code is large and plain). */
const SCAN_WIDTH = 640;

type Phase = { kind: 'starting' } | { kind: 'scanning'; note?: string } | { kind: 'failed'; message: string };

/** Why the camera did not open, in words a volunteer can act on. */
export function cameraFailure(error: unknown): string {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'The camera was not allowed. Allow it in the browser’s site settings, or paste the invite code.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'This device has no camera Larder can use. Paste the invite code instead.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is busy (another program may be using it). Close that program, or paste the invite code.';
    default:
      return 'The camera could not be opened. Paste the invite code instead.';
  }
}

/**
 * Reads a QR code with the device's camera (getUserMedia, decoded by jsQR in this page: no image leaves
 * the device). Every text it finds goes to `check`; the first one `check` accepts (returns null for)
 * goes to `onRead` and the camera is switched off. A code that is not accepted is named, and scanning
 * goes on.
 */
export function QrScanner({
  check,
  onRead,
  onClose,
}: {
  check: (text: string) => string | null;
  onRead: (text: string) => void;
  onClose: () => void;
}) {
  const video = useRef<HTMLVideoElement>(null);
  const [phase, setPhase] = useState<Phase>({ kind: 'starting' });
  // The latest callbacks, without restarting the camera when the parent re-renders.
  const handlers = useRef({ check, onRead });
  handlers.current = { check, onRead };

  useEffect(() => {
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d', { willReadFrequently: true });
    let lastRefused = '';

    const stop = () => {
      stopped = true;
      clearTimeout(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };

    const scan = () => {
      if (stopped) return;
      const v = video.current;
      if (v && context && v.readyState >= v.HAVE_CURRENT_DATA && v.videoWidth > 0) {
        const scale = Math.min(1, SCAN_WIDTH / v.videoWidth);
        canvas.width = Math.round(v.videoWidth * scale);
        canvas.height = Math.round(v.videoHeight * scale);
        context.drawImage(v, 0, 0, canvas.width, canvas.height);
        const frame = context.getImageData(0, 0, canvas.width, canvas.height);
        const code = jsQR(frame.data, frame.width, frame.height, { inversionAttempts: 'attemptBoth' });
        if (code?.data) {
          const problem = handlers.current.check(code.data);
          if (problem === null) {
            stop();
            handlers.current.onRead(code.data);
            return;
          }
          if (problem !== lastRefused) {
            lastRefused = problem;
            setPhase({ kind: 'scanning', note: problem });
          }
        }
      }
      timer = setTimeout(scan, SCAN_EVERY_MS);
    };

    (async () => {
      if (!navigator.mediaDevices?.getUserMedia) {
        setPhase({
          kind: 'failed',
          message: 'This browser cannot use a camera here. Paste the invite code instead.',
        });
        return;
      }
      try {
        const s = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: 'environment' },
          audio: false,
        });
        if (stopped) {
          for (const track of s.getTracks()) track.stop();
          return;
        }
        stream = s;
        const v = video.current!;
        v.srcObject = s;
        await v.play().catch(() => undefined);
        setPhase({ kind: 'scanning' });
        scan();
      } catch (error) {
        if (!stopped) setPhase({ kind: 'failed', message: cameraFailure(error) });
      }
    })();
    return stop;
  }, []);

  return (
    <div className="qr-scanner" role="group" aria-label="QR code scanner">
      <video ref={video} muted playsInline aria-label="Camera view" hidden={phase.kind === 'failed'} />
      <p role="status" className={phase.kind === 'failed' ? 'form-error' : 'hint'}>
        {phase.kind === 'starting' && 'Opening the camera…'}
        {phase.kind === 'scanning' && (phase.note ?? 'Hold the invite’s QR code in front of the camera.')}
        {phase.kind === 'failed' && phase.message}
      </p>
      <button type="button" onClick={onClose}>
        {phase.kind === 'failed' ? 'Close' : 'Stop the camera'}
      </button>
    </div>
  );
}
