import type JsQr from 'jsqr';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

/** Frames are read this often: enough to catch a code held up to the camera, light on an old laptop. */
const SCAN_EVERY_MS = 200;
/** Frames are scaled down to this width before decoding (an invite's QR code is large and plain). */
const SCAN_WIDTH = 640;

type CameraFailure = ReturnType<typeof cameraFailure>;
type Phase =
  | { kind: 'starting' }
  | { kind: 'scanning'; note?: string }
  | { kind: 'failed'; message: CameraFailure | 'qr.noCameraApi' };

/** Why the camera did not open, in words a volunteer can act on (a catalog key). */
export function cameraFailure(error: unknown) {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'qr.notAllowed' as const;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'qr.noCamera' as const;
    case 'NotReadableError':
    case 'AbortError':
      return 'qr.busy' as const;
    default:
      return 'qr.failed' as const;
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
  const { t } = useTranslation();
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
    // The decoder is loaded with the camera, not with the app: evaluating it was a quarter of every
    // start's first task, for a screen most starts never open.
    let jsQR: typeof JsQr | null = null;

    const stop = () => {
      stopped = true;
      clearTimeout(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };

    const scan = () => {
      if (stopped) return;
      const v = video.current;
      if (jsQR && v && context && v.readyState >= v.HAVE_CURRENT_DATA && v.videoWidth > 0) {
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
        setPhase({ kind: 'failed', message: 'qr.noCameraApi' });
        return;
      }
      try {
        // First, so that a decoder that cannot load leaves no camera switched on.
        jsQR = (await import('jsqr')).default;
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
    <div className="qr-scanner" role="group" aria-label={t('qr.scanner')}>
      <video ref={video} muted playsInline aria-label={t('qr.cameraView')} hidden={phase.kind === 'failed'} />
      <p role="status" className={phase.kind === 'failed' ? 'form-error' : 'hint'}>
        {phase.kind === 'starting' && t('qr.opening')}
        {phase.kind === 'scanning' && (phase.note ?? t('qr.holdUp'))}
        {phase.kind === 'failed' && t(phase.message)}
      </p>
      <button type="button" onClick={onClose}>
        {phase.kind === 'failed' ? t('qr.close') : t('qr.stop')}
      </button>
    </div>
  );
}
