//! The clear copy as a PDF (`GET /v1/checks/{id}/clear-copy.pdf`): the facts of the HTML page
//! on A4, with the portrait embedded as the JPEG it is (DCTDecode, ISO 32000-1 §7.4.8: the
//! record's bytes, not a re-encoding). Text is set in the standard Helvetica fonts, so nothing
//! else is embedded; a character WinAnsiEncoding lacks is shown as `?`, and the copy says so
//! (the HTML copy and the signed record hold the exact text). The document has a title and a
//! language, and its text is real text (selectable, searchable, read aloud); it is not tagged.

mod helvetica;

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use self::helvetica::Font;
use super::clear_copy::{ClearCopy, Fact};
use crate::dates::long_date_time;

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 56.0;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
const BOTTOM: f32 = 64.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const LABEL_WIDTH: f32 = 165.0;
const BODY: f32 = 10.0;
const SMALL: f32 = 8.0;
const LEADING: f32 = 1.4;
/// The photo is printed 50 mm wide (a passport photo is 35 mm), at most 70 mm high.
const PHOTO_WIDTH: f32 = 50.0 * 72.0 / 25.4;
const PHOTO_MAX_HEIGHT: f32 = 70.0 * 72.0 / 25.4;

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
const PHOTO: Name<'static> = Name(b"Im1");

/// A baseline JPEG's frame, as a PDF image needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Frame {
    width: u16,
    height: u16,
    /// 1 (grey) or 3 (YCbCr, shown as RGB).
    components: u8,
}

/// The frame header of a JPEG (ISO/IEC 10918-1 §B.2.2): walks the marker segments to the first
/// start-of-frame. Only 8-bit Huffman frames (baseline, extended, progressive) of one or three
/// components are taken, which every PDF reader decodes.
fn jpeg_frame(jpeg: &[u8]) -> Option<Frame> {
    let mut at = 2; // after SOI
    loop {
        let (&first, &marker) = (jpeg.get(at)?, jpeg.get(at + 1)?);
        if first != 0xFF {
            return None;
        }
        match marker {
            0xFF => at += 1, // fill byte
            0x01 | 0xD0..=0xD7 => at += 2,
            0xD8..=0xDA => return None, // SOI, EOI or scan data before any frame
            _ => {
                let length =
                    usize::from(u16::from_be_bytes([*jpeg.get(at + 2)?, *jpeg.get(at + 3)?]));
                if length < 2 {
                    return None;
                }
                if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                    let segment = jpeg.get(at + 4..at + 2 + length)?;
                    let &[precision, h1, h0, w1, w0, components, ..] = segment else {
                        return None;
                    };
                    let frame = Frame {
                        width: u16::from_be_bytes([w1, w0]),
                        height: u16::from_be_bytes([h1, h0]),
                        components,
                    };
                    let supported = matches!(marker, 0xC0..=0xC2)
                        && precision == 8
                        && matches!(components, 1 | 3)
                        && frame.width > 0
                        && frame.height > 0;
                    return supported.then_some(frame);
                }
                at += 2 + length;
            }
        }
    }
}

/// `text` in WinAnsiEncoding, whitespace as spaces; whether a character was replaced by `?`.
fn encode(text: &str) -> (Vec<u8>, bool) {
    let mut lossy = false;
    let bytes = text
        .chars()
        .map(|c| {
            if c.is_whitespace() {
                b' '
            } else {
                helvetica::encode(c).unwrap_or_else(|| {
                    lossy = true;
                    b'?'
                })
            }
        })
        .collect();
    (bytes, lossy)
}

fn text_width(font: Font, size: f32, bytes: &[u8]) -> f32 {
    let units: u32 = bytes
        .iter()
        .map(|&b| u32::from(helvetica::width(font, b)))
        .sum();
    // Widths are below 2^24: exact in f32.
    units as f32 * size / 1000.0
}

/// Greedy line breaking at spaces; a word wider than a line is broken anywhere.
fn wrap(font: Font, size: f32, width: f32, text: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let candidate_width = if line.is_empty() {
            text_width(font, size, word)
        } else {
            text_width(font, size, &line)
                + text_width(font, size, b" ")
                + text_width(font, size, word)
        };
        if candidate_width <= width {
            if !line.is_empty() {
                line.push(b' ');
            }
            line.extend_from_slice(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for &byte in word {
            if !line.is_empty()
                && text_width(font, size, &line) + text_width(font, size, &[byte]) > width
            {
                lines.push(std::mem::take(&mut line));
            }
            line.push(byte);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Pages being laid out, top to bottom.
struct Layout {
    done: Vec<Content>,
    page: Content,
    /// The top of the next line.
    y: f32,
    lossy: bool,
}

impl Layout {
    fn new() -> Self {
        Self {
            done: Vec::new(),
            page: Content::new(),
            y: TOP,
            lossy: false,
        }
    }

    /// Starts a new page unless `height` fits above the bottom margin.
    fn ensure(&mut self, height: f32) {
        if self.y - height < BOTTOM && self.y < TOP {
            let page = std::mem::replace(&mut self.page, Content::new());
            self.done.push(page);
            self.y = TOP;
        }
    }

    fn encode(&mut self, text: &str) -> Vec<u8> {
        let (bytes, lossy) = encode(text);
        self.lossy |= lossy;
        bytes
    }

    fn show(&mut self, font: Font, size: f32, x: f32, baseline: f32, gray: f32, text: &[u8]) {
        let name = match font {
            Font::Regular => REGULAR,
            Font::Bold => BOLD,
        };
        self.page
            .set_fill_gray(gray)
            .begin_text()
            .set_font(name, size)
            .next_line(x, baseline)
            .show(Str(text))
            .end_text();
    }

    /// A wrapped paragraph across the text width, then `after` points of space.
    fn paragraph(&mut self, font: Font, size: f32, text: &str, after: f32) {
        let bytes = self.encode(text);
        for line in wrap(font, size, TEXT_WIDTH, &bytes) {
            self.ensure(size * LEADING);
            self.show(font, size, MARGIN, self.y - size, 0.0, &line);
            self.y -= size * LEADING;
        }
        self.y -= after;
    }

    /// A section heading, kept with at least three lines of what follows.
    fn heading(&mut self, text: &str) {
        let size = 13.0;
        self.ensure(size * LEADING + 6.0 + 3.0 * BODY * LEADING);
        self.y -= 8.0;
        self.page
            .set_stroke_gray(0.7)
            .set_line_width(1.0)
            .move_to(MARGIN, self.y)
            .line_to(MARGIN + TEXT_WIDTH, self.y)
            .stroke();
        self.y -= 6.0;
        let bytes = self.encode(text);
        self.show(Font::Bold, size, MARGIN, self.y - size, 0.0, &bytes);
        self.y -= size * LEADING + 2.0;
    }

    /// Label and value rows with hairlines between them.
    fn facts(&mut self, facts: &[Fact]) {
        let line_height = BODY * LEADING;
        for row in facts {
            let label = self.encode(&row.label);
            let value = self.encode(&row.value);
            let labels = wrap(Font::Bold, BODY, LABEL_WIDTH - 10.0, &label);
            // A single token (a digest, a key id) stays on one line, smaller if need be, so
            // that it can be read and compared whole.
            let column = TEXT_WIDTH - LABEL_WIDTH;
            let natural = text_width(Font::Regular, BODY, &value);
            let size = if !value.contains(&b' ') && natural > column {
                (BODY * column / natural * 0.99).max(6.0)
            } else {
                BODY
            };
            let values = wrap(Font::Regular, size, column, &value);
            let rows = labels.len().max(values.len()) as f32;
            let height = rows * line_height + 6.0;
            self.ensure(height);
            let top = self.y - 3.0;
            for (i, line) in labels.iter().enumerate() {
                let baseline = top - BODY - i as f32 * line_height;
                self.show(Font::Bold, BODY, MARGIN, baseline, 0.0, line);
            }
            for (i, line) in values.iter().enumerate() {
                let baseline = top - BODY - i as f32 * line_height;
                self.show(
                    Font::Regular,
                    size,
                    MARGIN + LABEL_WIDTH,
                    baseline,
                    0.0,
                    line,
                );
            }
            self.y -= height;
            self.page
                .set_stroke_gray(0.8)
                .set_line_width(0.5)
                .move_to(MARGIN, self.y)
                .line_to(MARGIN + TEXT_WIDTH, self.y)
                .stroke();
        }
        self.y -= 4.0;
    }

    /// The outcome: a tinted box with a coloured bar, the outcome in bold, then the sentence.
    fn outcome(&mut self, words: &str, sentence: &str, colour: [f32; 3]) {
        let (words, sentence) = (self.encode(words), self.encode(sentence));
        let lines = wrap(Font::Regular, BODY, TEXT_WIDTH - 20.0, &sentence);
        let height = 10.0 + 14.0 * LEADING + lines.len() as f32 * BODY * LEADING + 6.0;
        self.ensure(height);
        let [r, g, b] = colour;
        self.page
            .set_fill_gray(0.953)
            .rect(MARGIN, self.y - height, TEXT_WIDTH, height)
            .fill_nonzero()
            .set_fill_rgb(r, g, b)
            .rect(MARGIN, self.y - height, 6.0, height)
            .fill_nonzero();
        let mut y = self.y - 10.0;
        self.show(Font::Bold, 14.0, MARGIN + 16.0, y - 14.0, 0.0, &words);
        y -= 14.0 * LEADING;
        for line in &lines {
            self.show(Font::Regular, BODY, MARGIN + 16.0, y - BODY, 0.0, line);
            y -= BODY * LEADING;
        }
        self.y -= height + 6.0;
    }

    /// The photo, 50 mm wide, with its caption.
    fn photo(&mut self, frame: Frame, caption: &str) {
        let ratio = f32::from(frame.height) / f32::from(frame.width);
        let (width, height) = if PHOTO_WIDTH * ratio > PHOTO_MAX_HEIGHT {
            (PHOTO_MAX_HEIGHT / ratio, PHOTO_MAX_HEIGHT)
        } else {
            (PHOTO_WIDTH, PHOTO_WIDTH * ratio)
        };
        self.ensure(height + 4.0 + SMALL * LEADING * 2.0);
        self.page
            .save_state()
            .transform([width, 0.0, 0.0, height, MARGIN, self.y - height])
            .x_object(PHOTO)
            .restore_state()
            .set_stroke_gray(0.35)
            .set_line_width(0.75)
            .rect(MARGIN, self.y - height, width, height)
            .stroke();
        self.y -= height + 4.0;
        let bytes = self.encode(caption);
        for line in wrap(Font::Regular, SMALL, TEXT_WIDTH, &bytes) {
            self.show(Font::Regular, SMALL, MARGIN, self.y - SMALL, 0.3, &line);
            self.y -= SMALL * LEADING;
        }
        self.y -= 6.0;
    }

    fn into_pages(mut self) -> Vec<Content> {
        self.done.push(self.page);
        self.done
    }
}

/// The PDF of `copy`. `made_at` is when it was made (shown in the footer).
pub(crate) fn render(copy: &ClearCopy, made_at: i64) -> Vec<u8> {
    let frame = copy
        .portrait
        .as_ref()
        .and_then(|portrait| jpeg_frame(&portrait.jpeg).map(|frame| (portrait, frame)));
    let mut layout = Layout::new();
    let title = format!("{}: clear copy", copy.heading);
    layout.paragraph(Font::Bold, 20.0, &title, 2.0);
    layout.paragraph(
        Font::Regular,
        BODY,
        &format!("{} · check {}", copy.title, copy.check_id),
        6.0,
    );

    layout.heading("Outcome");
    let colour = match copy.state {
        idv_checks::OutcomeState::Compliant => [0.0, 0.44, 0.235],
        idv_checks::OutcomeState::AwaitingConfirmation => [0.71, 0.533, 0.0],
        _ => [0.83, 0.208, 0.11],
    };
    layout.outcome(copy.outcome, &copy.outcome_sentence, colour);
    for reason in &copy.reasons {
        layout.paragraph(Font::Regular, BODY, &format!("• {reason}"), 2.0);
    }

    if !copy.person.is_empty() || copy.portrait.is_some() || copy.portrait_problem.is_some() {
        layout.heading("The person checked");
        match (&frame, &copy.portrait) {
            (Some((_, frame)), _) => layout.photo(
                *frame,
                "The photo the identity service provider holds: compare it with the person.",
            ),
            (None, Some(_)) => layout.paragraph(
                Font::Regular,
                BODY,
                "The record's photo cannot be reproduced in this PDF (it is not a complete \
                 baseline JPEG image): see the HTML clear copy.",
                4.0,
            ),
            (None, None) => {}
        }
        if let Some(problem) = copy.portrait_problem {
            layout.paragraph(Font::Regular, BODY, problem, 4.0);
        }
        layout.facts(&copy.person);
    }

    layout.heading("The check");
    layout.facts(&copy.check);

    if copy.confirmation_step || copy.confirmation.is_some() {
        layout.heading("Confirmation that the person is the holder");
        match &copy.confirmation {
            Some(facts) => layout.facts(facts),
            None => layout.paragraph(
                Font::Regular,
                BODY,
                "Not recorded yet. Compare the photo and the date of birth with the person, in \
                 person or on a live video call, before relying on this check.",
                4.0,
            ),
        }
    }

    layout.heading("What this check shows");
    layout.paragraph(Font::Regular, BODY, copy.statement, 4.0);
    layout.heading("How long to keep this");
    layout.paragraph(Font::Regular, BODY, &copy.retention.advice, 2.0);
    if let Some(source) = &copy.retention.source {
        layout.paragraph(Font::Regular, BODY, &format!("Source: {source}."), 4.0);
    }
    layout.heading("The signed record");
    layout.paragraph(
        Font::Regular,
        BODY,
        "This copy restates the check record the verifier signed. The record, in the evidence \
         package, cannot be changed without its signature failing; its SHA-256 below ties this \
         copy to it. Check it at any time with the command: verifier evidence verify <package \
         file>.",
        4.0,
    );
    layout.facts(&copy.record);
    if layout.lossy {
        layout.paragraph(
            Font::Regular,
            BODY,
            "Some characters cannot be shown in this PDF's font and appear as '?': the HTML \
             clear copy and the signed record hold the exact text.",
            0.0,
        );
    }

    let footer = format!(
        "Clear copy of check {} · made {}",
        copy.check_id,
        long_date_time(made_at)
    );
    assemble(
        layout.into_pages(),
        &title,
        &footer,
        frame.map(|(portrait, frame)| (portrait.jpeg.as_slice(), frame)),
    )
}

/// The document: catalog, pages with their footers, fonts and the photo.
fn assemble(
    pages: Vec<Content>,
    title: &str,
    footer: &str,
    photo: Option<(&[u8], Frame)>,
) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let info_id = Ref::new(3);
    let regular_id = Ref::new(4);
    let bold_id = Ref::new(5);
    let photo_id = Ref::new(6);
    let count = pages.len();
    let ids: Vec<(Ref, Ref)> = (0..count)
        .map(|i| {
            let base = 7 + 2 * i32::try_from(i).unwrap_or(i32::MAX / 4);
            (Ref::new(base), Ref::new(base + 1))
        })
        .collect();

    let mut pdf = Pdf::new();
    let mut catalog = pdf.catalog(catalog_id);
    catalog.pages(tree_id).lang(TextStr("en-GB"));
    catalog.viewer_preferences().display_doc_title(true);
    catalog.finish();
    pdf.document_info(info_id)
        .title(TextStr(title))
        .producer(TextStr("federated-idv verifier"));
    pdf.pages(tree_id)
        .kids(ids.iter().map(|(page, _)| *page))
        .count(i32::try_from(count).unwrap_or(i32::MAX));
    // The widths are given although the standard fonts do not need them, so that every
    // reader sets the text with the metrics its lines were broken with.
    for (id, base, font) in [
        (regular_id, "Helvetica", Font::Regular),
        (bold_id, "Helvetica-Bold", Font::Bold),
    ] {
        pdf.type1_font(id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"))
            .first_char(0x20)
            .last_char(0xFF)
            .widths((0x20..=0xFF).map(|code| f32::from(helvetica::width(font, code))));
    }
    if let Some((jpeg, frame)) = photo {
        let mut image = pdf.image_xobject(photo_id, jpeg);
        image.filter(Filter::DctDecode);
        image.width(i32::from(frame.width));
        image.height(i32::from(frame.height));
        if frame.components == 1 {
            image.color_space().device_gray();
        } else {
            image.color_space().device_rgb();
        }
        image.bits_per_component(8);
        image.finish();
    }
    for (number, (mut content, (page_id, content_id))) in pages.into_iter().zip(ids).enumerate() {
        let (text, _) = encode(&format!("{footer} · page {} of {count}", number + 1));
        content
            .set_fill_gray(0.3)
            .begin_text()
            .set_font(REGULAR, SMALL)
            .next_line(MARGIN, 36.0)
            .show(Str(&text))
            .end_text();
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(tree_id)
            .contents(content_id);
        let mut resources = page.resources();
        resources
            .fonts()
            .pair(REGULAR, regular_id)
            .pair(BOLD, bold_id);
        if photo.is_some() && number == 0 {
            resources.x_objects().pair(PHOTO, photo_id);
        }
        resources.finish();
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_of_a_baseline_jpeg_is_found_and_a_truncated_one_refused() {
        let jpeg = include_bytes!("../../../testdata/portrait/specimen.jpg");
        assert_eq!(
            jpeg_frame(jpeg),
            Some(Frame {
                width: 240,
                height: 300,
                components: 3
            })
        );
        assert_eq!(jpeg_frame(&jpeg[..40]), None);
        assert_eq!(jpeg_frame(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00]), None);
    }

    #[test]
    fn lines_break_at_spaces_within_the_width_and_long_words_anywhere() {
        let text = encode("The quick brown fox jumps over the lazy dog").0;
        let lines = wrap(Font::Regular, 10.0, 100.0, &text);
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(text_width(Font::Regular, 10.0, line) <= 100.0);
        }
        assert_eq!(lines.join(&b' '), text);
        let hash = [b'a'; 64];
        let lines = wrap(Font::Regular, 10.0, 100.0, &hash);
        assert!(
            lines.len() > 1
                && lines
                    .iter()
                    .all(|l| text_width(Font::Regular, 10.0, l) <= 100.0)
        );
        assert_eq!(encode("Zoë Łukasz").0, b"Zo\xEB ?ukasz");
        assert!(encode("Łukasz").1);
    }
}
