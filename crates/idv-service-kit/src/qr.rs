//! QR codes of wallet links (`openid-credential-offer://…`, `openid4vp://…`) as SVG and PNG.
//!
//! The matrix comes from the `qrcode` crate (error correction level M); rendering is ours, so
//! the SVG carries a `<title>` for screen readers and the PNG needs no image library: a 1-bit
//! greyscale image, zlib-compressed with `miniz_oxide`. Both have the 4-module quiet zone the
//! QR specification requires.

use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode};

/// Modules of light border around the symbol (ISO/IEC 18004 quiet zone).
const QUIET_ZONE: usize = 4;
/// Largest PNG scale (pixels per module) accepted.
pub const MAX_SCALE: u32 = 32;

/// Why a QR code could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The text does not fit in the largest QR code version.
    #[error("text of {len} bytes is too long for a QR code")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The PNG scale is 0 or above [`MAX_SCALE`].
    #[error("PNG scale must be 1..={MAX_SCALE}, got {scale}")]
    InvalidScale {
        /// The scale asked for.
        scale: u32,
    },
}

/// The symbol's modules with the quiet zone: `size × size`, `true` = dark.
struct Matrix {
    size: usize,
    dark: Vec<bool>,
}

impl Matrix {
    fn encode(text: &str) -> Result<Self, QrError> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
            .map_err(|_| QrError::TooLong { len: text.len() })?;
        let width = code.width();
        let size = width + 2 * QUIET_ZONE;
        let mut dark = vec![false; size * size];
        for (i, color) in code.to_colors().into_iter().enumerate() {
            if color == Color::Dark {
                let (y, x) = (i / width, i % width);
                dark[(y + QUIET_ZONE) * size + x + QUIET_ZONE] = true;
            }
        }
        Ok(Self { size, dark })
    }

    fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.size + x]
    }
}

/// An SVG image of `text` (scalable, one module per user unit), titled `title` for assistive
/// technology.
pub fn svg(text: &str, title: &str) -> Result<String, QrError> {
    let matrix = Matrix::encode(text)?;
    let size = matrix.size;
    let mut out = String::with_capacity(size * size);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{px}" height="{px}" role="img" aria-label="{label}" shape-rendering="crispEdges"><title>{label}</title><rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d=""##,
        px = size * 8,
        label = crate::markup::escape(title),
    );
    for y in 0..size {
        let mut x = 0;
        while x < size {
            if matrix.is_dark(x, y) {
                let start = x;
                while x < size && matrix.is_dark(x, y) {
                    x += 1;
                }
                let _ = write!(out, "M{start} {y}h{}v1H{start}z", x - start);
            } else {
                x += 1;
            }
        }
    }
    out.push_str(r#""/></svg>"#);
    Ok(out)
}

/// A PNG image of `text`, `scale` pixels per module.
pub fn png(text: &str, scale: u32) -> Result<Vec<u8>, QrError> {
    if scale == 0 || scale > MAX_SCALE {
        return Err(QrError::InvalidScale { scale });
    }
    let matrix = Matrix::encode(text)?;
    let scale = scale as usize;
    let side = matrix.size * scale;
    let row_bytes = side.div_ceil(8);
    let mut raw = Vec::with_capacity((row_bytes + 1) * side);
    for y in 0..side {
        raw.push(0); // filter type: none
        let start = raw.len();
        raw.resize(start + row_bytes, 0);
        for x in 0..side {
            // Greyscale bit depth 1: 1 is white.
            if !matrix.is_dark(x / scale, y / scale) {
                raw[start + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    let side = u32::try_from(side).map_err(|_| QrError::TooLong { len: text.len() })?;
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // bit depth 1, greyscale, deflate, no filter, no interlace
    let idat = miniz_oxide::deflate::compress_to_vec_zlib(&raw, 9);

    let mut png = Vec::with_capacity(idat.len() + 64);
    png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    Ok(png)
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // Chunks here are far below 4 GiB: the QR side is at most 177 + 8 modules × 32 pixels.
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    png.extend_from_slice(&len.to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (ISO 3309, as PNG requires), bitwise: images here are a few kilobytes.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "openid4vp://?client_id=verifier_attestation%3Ashop.example&request_uri=http%3A%2F%2F127.0.0.1%3A8300%2Fwallet%2Frequests%2Fabc";

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn png_has_signature_header_and_decodes_to_the_symbol() {
        let png = png(LINK, 2).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&png[12..16], b"IHDR");
        let side = u32::from_be_bytes(png[16..20].try_into().unwrap()) as usize;
        let matrix = Matrix::encode(LINK).unwrap();
        assert_eq!(side, matrix.size * 2);
        // Inflate IDAT and compare every pixel with the matrix.
        let idat_len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&png[41..41 + idat_len]).unwrap();
        let row_bytes = side.div_ceil(8) + 1;
        for y in 0..side {
            for x in 0..side {
                let white = raw[y * row_bytes + 1 + x / 8] & (0x80 >> (x % 8)) != 0;
                assert_eq!(white, !matrix.is_dark(x / 2, y / 2), "pixel {x},{y}");
            }
        }
        assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
    }

    #[test]
    fn svg_is_titled_and_draws_every_dark_module() {
        let svg = svg(LINK, "Scan with your wallet <app>").unwrap();
        assert!(svg.contains("<title>Scan with your wallet &lt;app&gt;</title>"));
        assert!(svg.contains(r#"role="img""#));
        let matrix = Matrix::encode(LINK).unwrap();
        let drawn: usize = svg
            .split('M')
            .skip(1)
            .map(|run| {
                let h = run.split('h').nth(1).unwrap();
                h.split('v').next().unwrap().parse::<usize>().unwrap()
            })
            .sum();
        assert_eq!(drawn, matrix.dark.iter().filter(|d| **d).count());
        // Quiet zone: no module drawn in the first four rows or columns.
        assert!(!svg.contains("M0 ") && !svg.contains(" 0h"));
    }

    #[test]
    fn bad_scale_and_oversized_text_are_errors() {
        assert_eq!(png(LINK, 0), Err(QrError::InvalidScale { scale: 0 }));
        assert_eq!(png(LINK, 33), Err(QrError::InvalidScale { scale: 33 }));
        let long = "x".repeat(5000);
        assert_eq!(svg(&long, "t"), Err(QrError::TooLong { len: 5000 }));
    }
}
