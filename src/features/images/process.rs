//! One photo from its file's bytes to the bytes of each resized copy: read with limits,
//! turned upright, put into sRGB, resized, encoded. Pure: no I/O. Nothing of the source's
//! metadata is carried over, since every copy is encoded from pixels alone.

use std::io::Cursor;

use fast_image_resize::images::Image as ResizeImage;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The most pixels a source may have: a 200-megapixel phone photo, not a decompression bomb
/// whose header claims 50,000 × 50,000.
pub const MAX_PIXELS: u64 = 200_000_000;
/// The longest side a source may have.
pub const MAX_SIDE: u32 = 30_000;
/// What a decoder may allocate for one image.
const MAX_ALLOC: u64 = 1 << 30;

/// The kinds of files that become pictures, and those that pass through as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
    /// Passed through: re-encoding would lose its frames.
    Gif,
    /// Passed through: it has no pixels to resize.
    Svg,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::WebP => "webp",
            Format::Gif => "gif",
            Format::Svg => "svg",
        }
    }

    /// The extension with its dot before it.
    pub fn dotted_extension(self) -> &'static str {
        match self {
            Format::Jpeg => ".jpg",
            Format::Png => ".png",
            Format::WebP => ".webp",
            Format::Gif => ".gif",
            Format::Svg => ".svg",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
            Format::Gif => "image/gif",
            Format::Svg => "image/svg+xml",
        }
    }

    /// Whether it is written as it is, without resized copies.
    pub fn passes_through(self) -> bool {
        matches!(self, Format::Gif | Format::Svg)
    }
}

/// Why an image cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("the image is damaged or cut short ({0})")]
    Corrupt(String),
    #[error("{0} images are not supported")]
    Unsupported(String),
    #[error(
        "the image says it is {width} × {height} pixels, more than the {MAX_PIXELS} pixels \
         (or {MAX_SIDE} on a side) aimsite decodes"
    )]
    TooLarge { width: u32, height: u32 },
    #[error("the image could not be encoded as {format} ({reason})")]
    Encoding {
        format: &'static str,
        reason: String,
    },
}

impl ImageError {
    /// What the author can do about it.
    pub fn help(&self) -> &'static str {
        match self {
            ImageError::Corrupt(_) => {
                "open the file in an image editor and export it again as JPEG, PNG or WebP"
            }
            ImageError::Unsupported(_) => {
                "export the image as JPEG (photos), PNG (drawings), WebP, GIF or SVG"
            }
            ImageError::TooLarge { .. } => {
                "scale the image down to at most a few thousand pixels wide before adding it"
            }
            ImageError::Encoding { .. } => "report this as a bug of aimsite, with the image",
        }
    }
}

/// What a source's header says, with its sides as seen once turned upright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub format: Format,
    pub width: u32,
    pub height: u32,
}

/// Pixels in sRGB, 3 bytes a pixel, or 4 when `alpha`.
pub struct Photo {
    pub width: u32,
    pub height: u32,
    pub alpha: bool,
    pub pixels: Vec<u8>,
}

/// The format of a file's bytes; SVG by its text, since it has no magic number.
pub fn format_of(bytes: &[u8]) -> Result<Format, ImageError> {
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok(Format::Jpeg),
        Ok(ImageFormat::Png) => Ok(Format::Png),
        Ok(ImageFormat::WebP) => Ok(Format::WebP),
        Ok(ImageFormat::Gif) => Ok(Format::Gif),
        Ok(other) => Err(ImageError::Unsupported(
            other
                .extensions_str()
                .first()
                .unwrap_or(&"these")
                .to_uppercase(),
        )),
        Err(_) if looks_like_svg(bytes) => Ok(Format::Svg),
        Err(_) => Err(ImageError::Unsupported("files of this kind".into())),
    }
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    String::from_utf8_lossy(head).contains("<svg")
}

/// Reads only the header: the format and upright size, refusing a size a decoder would choke
/// on.
pub fn probe(bytes: &[u8]) -> Result<Header, ImageError> {
    let format = format_of(bytes)?;
    if format != Format::Svg {
        check_declared_size(bytes)?;
    }
    let (width, height) = match format {
        Format::Svg => svg_size(bytes).unwrap_or((0, 0)),
        Format::Gif => reader(bytes)?.into_dimensions().map_err(corrupt)?,
        _ => {
            let mut decoder = reader(bytes)?.into_decoder().map_err(corrupt)?;
            let (width, height) = decoder.dimensions();
            check_size(width, height)?;
            let orientation = decoder.orientation().map_err(corrupt)?;
            if turns_sideways(orientation) {
                (height, width)
            } else {
                (width, height)
            }
        }
    };
    check_size(width, height)?;
    Ok(Header {
        format,
        width,
        height,
    })
}

/// Refuses an image whose header claims too many pixels before any decoder with limits sees
/// it, so that a bomb is told as one and not as a damaged file.
fn check_declared_size(bytes: &[u8]) -> Result<(), ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(corrupt)?;
    reader.no_limits();
    let (width, height) = reader.into_dimensions().map_err(corrupt)?;
    check_size(width, height)
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(corrupt)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    Ok(reader)
}

fn check_size(width: u32, height: u32) -> Result<(), ImageError> {
    let too_large =
        width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS;
    if too_large {
        return Err(ImageError::TooLarge { width, height });
    }
    Ok(())
}

fn corrupt(error: impl std::fmt::Display) -> ImageError {
    ImageError::Corrupt(error.to_string())
}

fn turns_sideways(orientation: image::metadata::Orientation) -> bool {
    use image::metadata::Orientation::*;
    matches!(
        orientation,
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH
    )
}

/// Decodes a raster image, turned upright and in sRGB.
pub fn decode(bytes: &[u8]) -> Result<Photo, ImageError> {
    check_declared_size(bytes)?;
    if format_of(bytes)? == Format::Jpeg && !jpeg_is_whole(bytes) {
        return Err(ImageError::Corrupt(
            "the file ends before the picture does".into(),
        ));
    }
    let mut decoder = reader(bytes)?.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;
    let orientation = decoder.orientation().map_err(corrupt)?;
    // A profile that cannot be read is taken as sRGB: the photo is still shown.
    let profile = decoder.icc_profile().ok().flatten();
    let mut image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    image.apply_orientation(orientation);
    let alpha = image.color().has_alpha();
    let (width, height) = (image.width(), image.height());
    let mut pixels = if alpha {
        image.into_rgba8().into_raw()
    } else {
        image.into_rgb8().into_raw()
    };
    if let Some(profile) = profile {
        to_srgb(&profile, alpha, &mut pixels);
    }
    Ok(Photo {
        width,
        height,
        alpha,
        pixels,
    })
}

/// Whether a JPEG's picture data ends with its end marker: the decoder fills a cut-off
/// photo with grey without a word. The segments before the picture are skipped by their
/// lengths, since a thumbnail in the EXIF block has an end marker of its own.
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    const START_OF_SCAN: u8 = 0xda;
    const END_OF_IMAGE: [u8; 2] = [0xff, 0xd9];
    let mut at = 2;
    while let [0xff, marker, high, low, ..] = bytes.get(at..).unwrap_or_default() {
        if *marker == START_OF_SCAN {
            return bytes[at..].windows(2).any(|window| window == END_OF_IMAGE);
        }
        at += 2 + usize::from(u16::from_be_bytes([*high, *low]));
    }
    false
}

/// Converts pixels from the source's ICC profile to sRGB, which browsers assume for an
/// image without one: a Display P3 or Adobe RGB photo would otherwise look dull.
fn to_srgb(profile: &[u8], alpha: bool, pixels: &mut [u8]) {
    let Ok(source) = moxcms::ColorProfile::new_from_slice(profile) else {
        return;
    };
    let layout = if alpha {
        moxcms::Layout::Rgba
    } else {
        moxcms::Layout::Rgb
    };
    let srgb = moxcms::ColorProfile::new_srgb();
    let Ok(transform) =
        source.create_transform_8bit(layout, &srgb, layout, moxcms::TransformOptions::default())
    else {
        return;
    };
    let mut converted = vec![0; pixels.len()];
    if transform.transform(pixels, &mut converted).is_ok() {
        pixels.copy_from_slice(&converted);
    }
}

/// The widths to write for a source `source_width` pixels wide: those of the ladder it is
/// wider than, then its own width when the ladder goes beyond it. Never wider than the source.
pub fn widths_for(ladder: &[u32], source_width: u32) -> Vec<u32> {
    let mut widths: Vec<u32> = ladder
        .iter()
        .copied()
        .filter(|&width| width > 0 && width < source_width)
        .collect();
    let largest = ladder.iter().copied().max().unwrap_or(source_width);
    if source_width <= largest || widths.is_empty() {
        widths.push(source_width);
    }
    widths.sort_unstable();
    widths.dedup();
    widths
}

/// The height of a copy `width` wide, keeping the source's proportions.
pub fn height_for(source_width: u32, source_height: u32, width: u32) -> u32 {
    let height = (u64::from(source_height) * u64::from(width) + u64::from(source_width) / 2)
        / u64::from(source_width.max(1));
    u32::try_from(height).unwrap_or(u32::MAX).max(1)
}

/// A copy of `photo` `width` pixels wide (never wider than it is).
pub fn resize(photo: &Photo, width: u32) -> Result<Photo, ImageError> {
    let width = width.min(photo.width);
    let height = height_for(photo.width, photo.height, width);
    resize_to(photo, width, height, None)
}

/// A copy of `photo` filling `width` × `height`, cropped around its centre where the
/// proportions differ (the social preview).
pub fn cover(photo: &Photo, width: u32, height: u32) -> Result<Photo, ImageError> {
    // The largest centred part with the target's proportions.
    let target = f64::from(width) / f64::from(height);
    let source = f64::from(photo.width) / f64::from(photo.height);
    let (crop_width, crop_height) = if source > target {
        (f64::from(photo.height) * target, f64::from(photo.height))
    } else {
        (f64::from(photo.width), f64::from(photo.width) / target)
    };
    let left = (f64::from(photo.width) - crop_width) / 2.0;
    let top = (f64::from(photo.height) - crop_height) / 2.0;
    resize_to(
        photo,
        width,
        height,
        Some((left, top, crop_width, crop_height)),
    )
}

fn resize_to(
    photo: &Photo,
    width: u32,
    height: u32,
    crop: Option<(f64, f64, f64, f64)>,
) -> Result<Photo, ImageError> {
    let pixel_type = if photo.alpha {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    let failed = |error: &dyn std::fmt::Display| ImageError::Encoding {
        format: "a resized copy",
        reason: error.to_string(),
    };
    let source = fast_image_resize::images::ImageRef::new(
        photo.width,
        photo.height,
        &photo.pixels,
        pixel_type,
    )
    .map_err(|error| failed(&error))?;
    let mut resized = ResizeImage::new(width, height, pixel_type);
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    if let Some((left, top, crop_width, crop_height)) = crop {
        options = options.crop(left, top, crop_width, crop_height);
    }
    Resizer::new()
        .resize(&source, &mut resized, &options)
        .map_err(|error| failed(&error))?;
    Ok(Photo {
        width,
        height,
        alpha: photo.alpha,
        pixels: resized.into_vec(),
    })
}

/// Encodes `photo` as `format` at `quality` (0 to 100; PNG is lossless).
pub fn encode(photo: &Photo, format: Format, quality: u8) -> Result<Vec<u8>, ImageError> {
    match format {
        Format::Jpeg => encode_jpeg(photo, quality),
        Format::Png => encode_png(photo),
        Format::WebP => encode_webp(photo, quality),
        Format::Gif | Format::Svg => Err(ImageError::Encoding {
            format: format.mime(),
            reason: "aimsite does not write this format".into(),
        }),
    }
}

fn encode_jpeg(photo: &Photo, quality: u8) -> Result<Vec<u8>, ImageError> {
    let failed = |reason: String| ImageError::Encoding {
        format: "JPEG",
        reason,
    };
    let width = u16::try_from(photo.width).map_err(|error| failed(error.to_string()))?;
    let height = u16::try_from(photo.height).map_err(|error| failed(error.to_string()))?;
    let color = if photo.alpha {
        jpeg_encoder::ColorType::Rgba
    } else {
        jpeg_encoder::ColorType::Rgb
    };
    let mut bytes = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, quality);
    encoder.set_progressive(true);
    encoder.set_optimized_huffman_tables(true);
    encoder
        .encode(&photo.pixels, width, height, color)
        .map_err(|error| failed(error.to_string()))?;
    Ok(bytes)
}

fn encode_png(photo: &Photo) -> Result<Vec<u8>, ImageError> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let color = if photo.alpha {
        image::ExtendedColorType::Rgba8
    } else {
        image::ExtendedColorType::Rgb8
    };
    let mut bytes = Vec::new();
    PngEncoder::new_with_quality(&mut bytes, CompressionType::Fast, FilterType::Adaptive)
        .write_image(&photo.pixels, photo.width, photo.height, color)
        .map_err(|error| ImageError::Encoding {
            format: "PNG",
            reason: error.to_string(),
        })?;
    Ok(bytes)
}

fn encode_webp(photo: &Photo, quality: u8) -> Result<Vec<u8>, ImageError> {
    let failed = |reason: String| ImageError::Encoding {
        format: "WebP",
        reason,
    };
    let encoder = if photo.alpha {
        webp::Encoder::from_rgba(&photo.pixels, photo.width, photo.height)
    } else {
        webp::Encoder::from_rgb(&photo.pixels, photo.width, photo.height)
    };
    let mut config =
        webp::WebPConfig::new().map_err(|()| failed("libwebp would not start".into()))?;
    config.quality = f32::from(quality);
    config.method = 4;
    let encoded = encoder
        .encode_advanced(&config)
        .map_err(|error| failed(format!("{error:?}")))?;
    Ok(encoded.to_vec())
}

/// The width and height an SVG declares, from `width`/`height` in pixels or its `viewBox`.
fn svg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let start = text.find("<svg")?;
    let tag = &text[start..start + text[start..].find('>')?];
    let number = |value: &str| {
        let digits: String = value
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        digits.parse::<f64>().ok()
    };
    let declared = attribute(tag, "width")
        .and_then(number)
        .zip(attribute(tag, "height").and_then(number));
    let (width, height) = declared.or_else(|| {
        let view_box: Vec<f64> = attribute(tag, "viewBox")?
            .split([' ', ','])
            .filter_map(|part| part.parse().ok())
            .collect();
        Some((*view_box.get(2)?, *view_box.get(3)?))
    })?;
    let side = |value: f64| (value.is_finite() && value >= 1.0).then(|| value.round() as u32);
    Some((side(width)?, side(height)?))
}

/// The value of `name="…"` in a tag's text.
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let mut rest = tag;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().last();
        let after = &rest[at + name.len()..];
        if before.is_some_and(char::is_whitespace)
            && let Some(value) = after.trim_start().strip_prefix('=')
        {
            let value = value.trim_start();
            let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let value = &value[1..];
            return value.find(quote).map(|end| &value[..end]);
        }
        rest = after;
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A JPEG of `width` × `height` with a gradient, and these APP segments (number, data).
    pub(crate) fn jpeg(width: u16, height: u16, segments: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let pixels: Vec<u8> = (0..u32::from(width) * u32::from(height))
            .flat_map(|i| {
                let x = i % u32::from(width);
                let y = i / u32::from(width);
                [
                    (x * 255 / u32::from(width)) as u8,
                    (y * 255 / u32::from(height)) as u8,
                    90,
                ]
            })
            .collect();
        let mut bytes = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 90);
        for (number, data) in segments {
            encoder.add_app_segment(*number, data.clone()).unwrap();
        }
        encoder
            .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        bytes
    }

    /// EXIF (big-endian TIFF) with an orientation and a GPS latitude, as a phone writes.
    pub(crate) fn exif(orientation: u16) -> Vec<u8> {
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        // IFD0: two entries, orientation and the GPS IFD's offset (8 + 2 + 24 + 4 = 38).
        tiff.extend([0, 2]);
        tiff.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1]);
        tiff.extend(orientation.to_be_bytes());
        tiff.extend([0, 0]);
        tiff.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]);
        tiff.extend([0, 0, 0, 0]);
        // GPS IFD: GPSLatitudeRef "N".
        tiff.extend([0, 1]);
        tiff.extend([0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
        tiff.extend([0, 0, 0, 0]);
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend(tiff);
        exif
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle)
    }

    #[test]
    fn a_generated_jpeg_is_decoded_resized_and_encoded() {
        let photo = decode(&jpeg(64, 32, &[])).unwrap();
        assert_eq!((photo.width, photo.height, photo.alpha), (64, 32, false));
        assert_eq!(photo.pixels.len(), 64 * 32 * 3);
        let small = resize(&photo, 16).unwrap();
        assert_eq!((small.width, small.height), (16, 8));
        for format in [Format::Jpeg, Format::WebP, Format::Png] {
            let bytes = encode(&small, format, 80).unwrap();
            let header = probe(&bytes).unwrap();
            assert_eq!(
                (header.format, header.width, header.height),
                (format, 16, 8)
            );
        }
    }

    #[test]
    fn the_orientation_is_applied_and_no_metadata_is_written() {
        // 6: the camera was turned a quarter to the right; the photo is upright once rotated.
        let source = jpeg(40, 20, &[(1, exif(6))]);
        assert!(contains(&source, b"Exif"));
        let header = probe(&source).unwrap();
        assert_eq!((header.width, header.height), (20, 40));
        let photo = decode(&source).unwrap();
        assert_eq!((photo.width, photo.height), (20, 40));
        for format in [Format::Jpeg, Format::WebP, Format::Png] {
            let bytes = encode(&photo, format, 80).unwrap();
            assert!(!contains(&bytes, b"Exif"), "{format:?} kept EXIF");
            assert!(
                !contains(&bytes, b"MM\0\x2a"),
                "{format:?} kept a TIFF header"
            );
            let reread = probe(&bytes).unwrap();
            assert_eq!((reread.width, reread.height), (20, 40));
        }
    }

    #[test]
    fn a_display_p3_photo_is_converted_to_srgb() {
        let profile = moxcms::ColorProfile::new_display_p3().encode().unwrap();
        let mut icc = b"ICC_PROFILE\0\x01\x01".to_vec();
        icc.extend(profile);
        let plain = decode(&jpeg(8, 8, &[])).unwrap();
        let tagged = decode(&jpeg(8, 8, &[(2, icc)])).unwrap();
        // The same numbers mean more saturated colours in P3: red must grow in sRGB.
        // Where red leads, P3's is deeper: more red and less green in sRGB (top right).
        let at = (8 - 1) * 3;
        let (plain, tagged) = (&plain.pixels[at..at + 3], &tagged.pixels[at..at + 3]);
        assert!(
            tagged[0] > plain[0] && tagged[1] <= plain[1],
            "{plain:?} became {tagged:?}"
        );
    }

    #[test]
    fn the_ladder_never_enlarges() {
        let ladder = [480, 800, 1200, 1600, 2000];
        assert_eq!(widths_for(&ladder, 4000), vec![480, 800, 1200, 1600, 2000]);
        assert_eq!(widths_for(&ladder, 1000), vec![480, 800, 1000]);
        assert_eq!(widths_for(&ladder, 2000), vec![480, 800, 1200, 1600, 2000]);
        assert_eq!(widths_for(&ladder, 300), vec![300]);
        let photo = decode(&jpeg(100, 50, &[])).unwrap();
        let resized = resize(&photo, 500).unwrap();
        assert_eq!((resized.width, resized.height), (100, 50));
        assert_eq!(height_for(4000, 3000, 800), 600);
        assert_eq!(height_for(3, 1, 1), 1);
    }

    #[test]
    fn the_social_preview_is_cropped_to_its_proportions() {
        let photo = decode(&jpeg(400, 400, &[])).unwrap();
        let preview = cover(&photo, 120, 63).unwrap();
        assert_eq!((preview.width, preview.height), (120, 63));
    }

    /// A PNG whose header claims `width` × `height`, without pixels.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut chunk = b"IHDR".to_vec();
        chunk.extend(width.to_be_bytes());
        chunk.extend(height.to_be_bytes());
        chunk.extend([8, 2, 0, 0, 0]);
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        for chunk in [
            chunk,
            b"IDAT\x78\x9c\x03\0\0\0\0\x01".to_vec(),
            b"IEND".to_vec(),
        ] {
            bytes.extend(u32::try_from(chunk.len() - 4).unwrap().to_be_bytes());
            bytes.extend(&chunk);
            bytes.extend(crc(&chunk).to_be_bytes());
        }
        bytes
    }

    fn crc(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        let bomb = png_header(50_000, 50_000);
        assert!(
            matches!(probe(&bomb), Err(ImageError::TooLarge { .. })),
            "{:?}",
            probe(&bomb)
        );
        assert!(matches!(decode(&bomb), Err(ImageError::TooLarge { .. })));
        let long = png_header(40_000, 10);
        assert!(matches!(probe(&long), Err(ImageError::TooLarge { .. })));
    }

    #[test]
    fn damaged_and_unsupported_files_are_told_apart() {
        let whole = jpeg(64, 64, &[]);
        let cut = &whole[..whole.len() * 2 / 3];
        assert!(
            matches!(decode(cut), Err(ImageError::Corrupt(_))),
            "{:?}",
            decode(cut).err()
        );
        assert!(matches!(probe(&whole[..40]), Err(ImageError::Corrupt(_))));
        assert!(matches!(
            format_of(b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0"),
            Err(ImageError::Unsupported(kind)) if kind == "BMP"
        ));
        assert!(matches!(
            format_of(b"hello"),
            Err(ImageError::Unsupported(_))
        ));
    }

    #[test]
    fn svg_and_gif_pass_through_with_their_size() {
        let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="120" height="60"></svg>"#;
        let header = probe(svg).unwrap();
        assert_eq!(
            (header.format, header.width, header.height),
            (Format::Svg, 120, 60)
        );
        assert!(header.format.passes_through());
        let view_box = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"></svg>"#;
        assert_eq!(probe(view_box).unwrap().width, 300);
        let mut gif = Vec::new();
        {
            let mut encoder = image::codecs::gif::GifEncoder::new(&mut gif);
            let frame = image::Frame::new(image::RgbaImage::new(30, 20));
            encoder.encode_frame(frame).unwrap();
        }
        let header = probe(&gif).unwrap();
        assert_eq!(
            (header.format, header.width, header.height),
            (Format::Gif, 30, 20)
        );
        assert!(encode(&decode(&jpeg(8, 8, &[])).unwrap(), Format::Gif, 80).is_err());
    }
}
