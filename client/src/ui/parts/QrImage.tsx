import { useEffect, useState } from 'react';
import QRCode from 'qrcode';

/**
 * A QR code as an <img> with a data: URL (allowed by the relay's CSP: img-src 'self' data:). Drawn as SVG text, so
 * no canvas is needed and nothing is fetched.
 */
export function QrImage({ value, label }: { value: string; label: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    QRCode.toString(value, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
      .then((svg) => {
        if (live) setSrc(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);
      })
      .catch(() => {
        if (live) setSrc(null);
      });
    return () => {
      live = false;
    };
  }, [value]);
  if (!src) return null;
  return <img className="qr" src={src} alt={label} width={220} height={220} />;
}
