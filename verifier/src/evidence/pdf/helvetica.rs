//! Helvetica and Helvetica-Bold, two of the PDF standard 14 fonts (ISO 32000-1 §9.6.2.2):
//! every reader has them, so nothing is embedded. Text is written in WinAnsiEncoding (ISO
//! 32000-1 Annex D); the advance widths, in 1/1000 em, are Adobe's Font Metrics for the two
//! fonts, used to break lines.

/// The font of a run of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    /// Helvetica.
    Regular,
    /// Helvetica-Bold.
    Bold,
}

/// Widths of WinAnsiEncoding codes 0x20–0x7E (the same in both fonts' encodings).
const REGULAR_ASCII: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0x30
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 0x50
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 0x60
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 0x70
];

const BOLD_ASCII: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0x30
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 0x50
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 0x60
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // 0x70
];

/// Widths of WinAnsiEncoding codes 0xA0–0xFF (Latin-1).
const REGULAR_LATIN1: [u16; 96] = [
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 0xF0
];

const BOLD_LATIN1: [u16; 96] = [
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 0xF0
];

/// The WinAnsiEncoding codes 0x80–0x9F that are used, with their characters and widths
/// (regular, bold).
const WINDOWS_1252: [(char, u8, u16, u16); 27] = [
    ('€', 0x80, 556, 556),
    ('‚', 0x82, 222, 278),
    ('ƒ', 0x83, 556, 556),
    ('„', 0x84, 333, 500),
    ('…', 0x85, 1000, 1000),
    ('†', 0x86, 556, 556),
    ('‡', 0x87, 556, 556),
    ('ˆ', 0x88, 333, 333),
    ('‰', 0x89, 1000, 1000),
    ('Š', 0x8A, 667, 667),
    ('‹', 0x8B, 333, 333),
    ('Œ', 0x8C, 1000, 1000),
    ('Ž', 0x8E, 611, 611),
    ('‘', 0x91, 222, 278),
    ('’', 0x92, 222, 278),
    ('“', 0x93, 333, 500),
    ('”', 0x94, 333, 500),
    ('•', 0x95, 350, 350),
    ('–', 0x96, 556, 556),
    ('—', 0x97, 1000, 1000),
    ('˜', 0x98, 333, 333),
    ('™', 0x99, 1000, 1000),
    ('š', 0x9A, 500, 556),
    ('›', 0x9B, 333, 333),
    ('œ', 0x9C, 944, 944),
    ('ž', 0x9E, 500, 500),
    ('Ÿ', 0x9F, 667, 667),
];

/// The WinAnsiEncoding code of `c`, if the encoding has it.
pub(crate) fn encode(c: char) -> Option<u8> {
    match u32::from(c) {
        code @ (0x20..=0x7E | 0xA0..=0xFF) => u8::try_from(code).ok(),
        _ => WINDOWS_1252
            .iter()
            .find(|(known, ..)| *known == c)
            .map(|(_, code, ..)| *code),
    }
}

/// The advance width of WinAnsiEncoding `code` in `font`, in 1/1000 em.
pub(crate) fn width(font: Font, code: u8) -> u16 {
    let (ascii, latin1) = match font {
        Font::Regular => (&REGULAR_ASCII, &REGULAR_LATIN1),
        Font::Bold => (&BOLD_ASCII, &BOLD_LATIN1),
    };
    match code {
        0x20..=0x7E => ascii[usize::from(code - 0x20)],
        0xA0..=0xFF => latin1[usize::from(code - 0xA0)],
        _ => WINDOWS_1252
            .iter()
            .find(|(_, known, ..)| *known == code)
            .map_or(1000, |(_, _, regular, bold)| match font {
                Font::Regular => *regular,
                Font::Bold => *bold,
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_text_is_encoded_and_measured() {
        assert_eq!(encode('A'), Some(0x41));
        assert_eq!(encode('é'), Some(0xE9));
        assert_eq!(encode('–'), Some(0x96));
        assert_eq!(encode('Ł'), None);
        assert_eq!(width(Font::Regular, b'W'), 944);
        assert_eq!(width(Font::Bold, b'i'), 278);
        assert_eq!(width(Font::Regular, 0xE9), width(Font::Regular, b'e'));
        assert_eq!(width(Font::Bold, 0xC9), width(Font::Bold, b'E'));
    }
}
