//! Metadata out of a photo copied as it is (a page's asset, a static file), without touching
//! its pixels: a phone's JPEG carries GPS coordinates, the camera and the time. What the
//! picture needs stays: the colour profile, and a JPEG's orientation, rewritten as the only
//! entry of a new EXIF block. Pure: bytes in, bytes out.

use super::process::Format;

/// `bytes` without their metadata, or `None` when there is none to remove (or the file is not
/// one whose blocks can be walked: it is copied as it is, and a page using it reports it).
pub fn strip(format: Format, bytes: &[u8]) -> Option<Vec<u8>> {
    match format {
        Format::Jpeg => strip_jpeg(bytes),
        Format::Png => strip_png(bytes),
        Format::WebP => strip_webp(bytes),
        Format::Gif | Format::Svg => None,
    }
}

const APP0: u8 = 0xe0;
const APP1: u8 = 0xe1;
const APP13: u8 = 0xed;
const COMMENT: u8 = 0xfe;
const START_OF_SCAN: u8 = 0xda;

/// Drops EXIF and XMP (APP1), IPTC (APP13) and comments, keeping JFIF, the ICC profile
/// (APP2) and Adobe's colour transform (APP14), and the orientation.
fn strip_jpeg(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut kept = Vec::with_capacity(bytes.len());
    kept.extend_from_slice(bytes.get(..2)?);
    let mut at = 2;
    let mut dropped = false;
    let mut orientation = None;
    loop {
        let [0xff, marker, high, low, ..] = *bytes.get(at..)? else {
            return None;
        };
        if marker == START_OF_SCAN {
            break;
        }
        let end = at + 2 + usize::from(u16::from_be_bytes([high, low]));
        let segment = bytes.get(at..end)?;
        if matches!(marker, APP1 | APP13 | COMMENT) {
            if marker == APP1 && orientation.is_none() {
                orientation = exif_orientation(&segment[4..]);
            }
            dropped = true;
        } else {
            kept.extend_from_slice(segment);
        }
        at = end;
    }
    if !dropped {
        return None;
    }
    let upright = match orientation {
        Some(orientation) if orientation != 1 => Some(orientation_exif(orientation)),
        _ => None,
    };
    // Right after JFIF, where readers look for EXIF.
    if let Some(exif) = upright {
        let after_jfif = jfif_end(&kept);
        let length = u16::try_from(exif.len() + 2).ok()?;
        let mut segment = vec![0xff, APP1];
        segment.extend(length.to_be_bytes());
        segment.extend(exif);
        kept.splice(after_jfif..after_jfif, segment);
    }
    kept.extend_from_slice(&bytes[at..]);
    Some(kept)
}

/// Where the JFIF segment ends in a JPEG that starts with one; else right after the start
/// marker.
fn jfif_end(jpeg: &[u8]) -> usize {
    match jpeg.get(2..6) {
        Some([0xff, APP0, high, low]) => 4 + usize::from(u16::from_be_bytes([*high, *low])),
        _ => 2,
    }
}

/// The orientation (tag 0x0112) in IFD0 of an EXIF block (`Exif\0\0` and TIFF).
fn exif_orientation(block: &[u8]) -> Option<u16> {
    let tiff = block.strip_prefix(b"Exif\0\0")?;
    let big_endian = match tiff.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| {
        let pair = [*tiff.get(at)?, *tiff.get(at + 1)?];
        Some(if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        })
    };
    let u32_at = |at: usize| {
        let quad = [
            *tiff.get(at)?,
            *tiff.get(at + 1)?,
            *tiff.get(at + 2)?,
            *tiff.get(at + 3)?,
        ];
        Some(if big_endian {
            u32::from_be_bytes(quad)
        } else {
            u32::from_le_bytes(quad)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = u16_at(ifd)?;
    (0..usize::from(entries))
        .map(|entry| ifd + 2 + entry * 12)
        .find(|&entry| u16_at(entry) == Some(0x0112))
        .and_then(|entry| u16_at(entry + 8))
}

/// An EXIF block holding only an orientation.
fn orientation_exif(orientation: u16) -> Vec<u8> {
    let mut block = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01".to_vec();
    block.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    block.extend(orientation.to_be_bytes());
    block.extend([0, 0, 0, 0, 0, 0]);
    block
}

/// Drops the PNG chunks of text, time and EXIF.
fn strip_png(bytes: &[u8]) -> Option<Vec<u8>> {
    const DROPPED: [&[u8; 4]; 5] = [b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"];
    let mut kept = Vec::with_capacity(bytes.len());
    kept.extend_from_slice(bytes.get(..8)?);
    let mut at = 8;
    let mut dropped = false;
    while at < bytes.len() {
        let length = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?);
        let end = at + 12 + usize::try_from(length).ok()?;
        let chunk = bytes.get(at..end)?;
        if DROPPED.iter().any(|name| &chunk[4..8] == *name) {
            dropped = true;
        } else {
            kept.extend_from_slice(chunk);
        }
        at = end;
    }
    dropped.then_some(kept)
}

/// Drops WebP's EXIF and XMP chunks and clears their flags.
fn strip_webp(bytes: &[u8]) -> Option<Vec<u8>> {
    const EXIF_FLAG: u8 = 0x08;
    const XMP_FLAG: u8 = 0x04;
    if bytes.get(..4)? != b"RIFF" || bytes.get(8..12)? != b"WEBP" {
        return None;
    }
    let mut kept = bytes[..12].to_vec();
    let mut at = 12;
    let mut dropped = false;
    while at < bytes.len() {
        let name = bytes.get(at..at + 4)?;
        let size = u32::from_le_bytes(bytes.get(at + 4..at + 8)?.try_into().ok()?);
        let padded = usize::try_from(size).ok()? + usize::try_from(size % 2).ok()?;
        let end = (at + 8 + padded).min(bytes.len());
        let chunk = bytes.get(at..end)?;
        match name {
            b"EXIF" | b"XMP " => dropped = true,
            b"VP8X" => {
                let mut chunk = chunk.to_vec();
                if let Some(flags) = chunk.get_mut(8) {
                    *flags &= !(EXIF_FLAG | XMP_FLAG);
                }
                kept.extend(chunk);
            }
            _ => kept.extend_from_slice(chunk),
        }
        at = end;
    }
    if !dropped {
        return None;
    }
    let size = u32::try_from(kept.len() - 8).ok()?;
    kept[4..8].copy_from_slice(&size.to_le_bytes());
    Some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::images::process::tests::{exif, jpeg};
    use crate::features::images::process::{decode, probe};

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle)
    }

    #[test]
    fn a_jpeg_loses_its_gps_and_keeps_its_orientation_and_pixels() {
        let source = jpeg(
            40,
            20,
            &[(1, exif(6)), (13, b"Photoshop 3.0\0IPTC".to_vec())],
        );
        let stripped = strip(Format::Jpeg, &source).unwrap();
        assert!(!contains(&stripped, b"GPS") && !contains(&stripped, b"IPTC"));
        // The GPS IFD's pointer (tag 0x8825) is gone with it.
        assert!(!contains(&stripped, &[0x88, 0x25]));
        let exif_at = stripped.windows(6).position(|w| w == b"Exif\0\0").unwrap();
        assert_eq!(exif_orientation(&stripped[exif_at..]), Some(6));
        let header = probe(&stripped).unwrap();
        assert_eq!((header.width, header.height), (20, 40));
        assert_eq!(
            decode(&stripped).unwrap().pixels,
            decode(&source).unwrap().pixels
        );
    }

    #[test]
    fn an_upright_jpeg_keeps_no_exif_at_all() {
        let stripped = strip(Format::Jpeg, &jpeg(16, 16, &[(1, exif(1))])).unwrap();
        assert!(!contains(&stripped, b"Exif"));
        assert_eq!(strip(Format::Jpeg, &jpeg(16, 16, &[])), None);
    }

    #[test]
    fn png_and_webp_lose_their_metadata_chunks() {
        let photo = decode(&jpeg(8, 8, &[])).unwrap();
        let png = crate::features::images::process::encode(&photo, Format::Png, 80).unwrap();
        let mut tagged = png[..33].to_vec();
        let mut text = b"tEXtGPS\0here".to_vec();
        let crc = 0u32.to_be_bytes();
        tagged.extend(u32::try_from(text.len() - 4).unwrap().to_be_bytes());
        tagged.append(&mut text);
        tagged.extend(crc);
        tagged.extend(&png[33..]);
        let stripped = strip(Format::Png, &tagged).unwrap();
        assert_eq!(stripped, png);

        let webp = crate::features::images::process::encode(&photo, Format::WebP, 80).unwrap();
        let mut with_exif = webp.clone();
        with_exif.extend(b"EXIF\x04\0\0\0GPS!");
        let size = u32::try_from(with_exif.len() - 8).unwrap();
        with_exif[4..8].copy_from_slice(&size.to_le_bytes());
        assert_eq!(strip(Format::WebP, &with_exif).unwrap(), webp);
    }
}
