//! The demo's data set: a small company as an HR system and an attendance system see it
//! on the day the demo is first run.
//!
//! Every date is reckoned from that day (today in Japan), so the story holds whenever the
//! demo starts afresh:
//!
//! | codes | HR | attendance | export lists them as |
//! |---|---|---|---|
//! | 1001–1032 | 32 employees | the same 32 (4 with cosmetic differences only: half-width kana, hiragana kana, email domain case) | unchanged |
//! | 1033–1040 | 8 employees | the same 8, out of date (a new surname, a new email, a resignation, a corrected birth date, missing kana, gender unset, a moved hire date) | changed |
//! | 1041–1050 | 10 recent hires | — | new |
//! | 1051–1052 | 2 hires starting in 10 and 25 days | — | not listed (not enrolled yet) |
//! | 1053–1054 | resigned 3 months ago | resigned 3 months ago | not listed (resigned) |
//! | 1055 | no gender recorded | — | invalid (the attendance side requires a gender) |
//! | 1056 | twice (a rehire entered as a second record) | — | invalid (duplicate code) |
//! | 1057 | a recent hire whose birth date is next year (a typo) | — | invalid (birth date in the future) |
//! | 1058 | a recent hire whose first name is 寿限無's full 104 characters | — | invalid (over the 50 characters assumed for KOT names) |
//! | 1059 | no gender recorded, married name | no gender either, maiden name | changed (a name update needs no gender) |
//! | 2001–2006 | — | part-timers entered in the attendance system only | (import: new) |
//! | 2007 | — | a part-timer with no first name | (import: invalid) |
//!
//! 1008 and 1042 carry business names (ビジネスネーム): `--business-names` sends them.
//! 1034 keeps a second address in the attendance system, which an email update must keep.

use chrono::{Datelike, Days, NaiveDate};
use hris_sync_core::{BusinessName, Employee, Gender, MasterKind, Placement};

/// HR offices (所属事業所): code and name.
pub const OFFICES: [(&str, &str); 3] = [
    ("HQ", "本社（東京都千代田区）"),
    ("OSAKA", "大阪支店"),
    ("FUKUOKA", "福岡営業所"),
];

/// Attendance divisions (所属): code and name.
pub const DIVISIONS: [(&str, &str); 4] = [
    ("1000", "本社"),
    ("1100", "東京支店"),
    ("1200", "大阪支店"),
    ("1300", "福岡営業所"),
];

/// Attendance employment types (雇用区分): code and name.
pub const EMPLOYMENT_TYPES: [(&str, &str); 3] = [
    ("1", "正社員"),
    ("2", "契約社員"),
    ("3", "パート・アルバイト"),
];

/// One seeded attendance employee: the synced fields, its placement, and what the sync does
/// not model (further email addresses, a gender left unselected).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttendanceSeed {
    /// The synced fields.
    pub employee: Employee,
    /// Division code (所属).
    pub division: &'static str,
    /// Employment type code (雇用区分).
    pub employment_type: &'static str,
    /// Addresses after the first one (kept untouched by the sync).
    pub more_emails: Vec<String>,
}

/// Both sides as seeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    /// HR employees with their office.
    pub hr: Vec<(Employee, Placement)>,
    /// Attendance employees.
    pub attendance: Vec<AttendanceSeed>,
}

/// 寿限無's full given name, from the rakugo story: 104 characters, over the 50 assumed for
/// KOT-family names (docs/field-mapping.md).
const JUGEMU: &str = "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処\
                      やぶら小路の藪柑子パイポパイポパイポのシューリンガンシューリンガンのグーリン\
                      ダイグーリンダイのポンポコピーのポンポコナーの長久命の長助";

/// Surname, its reading, and its romanisation (for email addresses).
const SURNAMES: [(&str, &str, &str); 40] = [
    ("佐藤", "サトウ", "sato"),
    ("鈴木", "スズキ", "suzuki"),
    ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"),
    ("伊藤", "イトウ", "ito"),
    ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"),
    ("中村", "ナカムラ", "nakamura"),
    ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"),
    ("吉田", "ヨシダ", "yoshida"),
    ("山田", "ヤマダ", "yamada"),
    ("佐々木", "ササキ", "sasaki"),
    ("山口", "ヤマグチ", "yamaguchi"),
    ("松本", "マツモト", "matsumoto"),
    ("井上", "イノウエ", "inoue"),
    ("木村", "キムラ", "kimura"),
    ("林", "ハヤシ", "hayashi"),
    ("斎藤", "サイトウ", "saito"),
    ("清水", "シミズ", "shimizu"),
    ("山崎", "ヤマザキ", "yamazaki"),
    ("森", "モリ", "mori"),
    ("池田", "イケダ", "ikeda"),
    ("橋本", "ハシモト", "hashimoto"),
    ("阿部", "アベ", "abe"),
    ("石川", "イシカワ", "ishikawa"),
    ("山下", "ヤマシタ", "yamashita"),
    ("中島", "ナカジマ", "nakajima"),
    ("石井", "イシイ", "ishii"),
    ("小川", "オガワ", "ogawa"),
    ("前田", "マエダ", "maeda"),
    ("岡田", "オカダ", "okada"),
    ("長谷川", "ハセガワ", "hasegawa"),
    ("藤田", "フジタ", "fujita"),
    ("後藤", "ゴトウ", "goto"),
    ("近藤", "コンドウ", "kondo"),
    ("村上", "ムラカミ", "murakami"),
    ("遠藤", "エンドウ", "endo"),
    ("青木", "アオキ", "aoki"),
    ("坂本", "サカモト", "sakamoto"),
];

const MALE_NAMES: [(&str, &str, &str); 15] = [
    ("翔太", "ショウタ", "shota"),
    ("大輔", "ダイスケ", "daisuke"),
    ("健太", "ケンタ", "kenta"),
    ("拓也", "タクヤ", "takuya"),
    ("直樹", "ナオキ", "naoki"),
    ("和也", "カズヤ", "kazuya"),
    ("誠", "マコト", "makoto"),
    ("亮", "リョウ", "ryo"),
    ("浩二", "コウジ", "koji"),
    ("隆", "タカシ", "takashi"),
    ("蓮", "レン", "ren"),
    ("悠真", "ユウマ", "yuma"),
    ("陽翔", "ハルト", "haruto"),
    ("湊", "ミナト", "minato"),
    ("大翔", "ヒロト", "hiroto"),
];

const FEMALE_NAMES: [(&str, &str, &str); 15] = [
    ("陽子", "ヨウコ", "yoko"),
    ("美咲", "ミサキ", "misaki"),
    ("愛", "アイ", "ai"),
    ("由美", "ユミ", "yumi"),
    ("恵", "メグミ", "megumi"),
    ("直美", "ナオミ", "naomi"),
    ("彩", "アヤ", "aya"),
    ("真由美", "マユミ", "mayumi"),
    ("結衣", "ユイ", "yui"),
    ("花子", "ハナコ", "hanako"),
    ("陽菜", "ヒナ", "hina"),
    ("葵", "アオイ", "aoi"),
    ("さくら", "サクラ", "sakura"),
    ("美穂", "ミホ", "miho"),
    ("千尋", "チヒロ", "chihiro"),
];

/// The `n`th person of the data set: a name, its reading, a gender, a birth date and an
/// email address, all derived from `n` alone.
fn person(n: usize, code: &str) -> Employee {
    let (last, last_kana, last_romaji) = SURNAMES[(n * 7 + n / 40) % SURNAMES.len()];
    let gender = if n % 5 == 1 || n % 5 == 3 {
        Gender::Female
    } else {
        Gender::Male
    };
    let names = match gender {
        Gender::Female => &FEMALE_NAMES,
        Gender::Male => &MALE_NAMES,
    };
    let (first, first_kana, first_romaji) = names[(n * 11) % names.len()];
    let birth = NaiveDate::from_ymd_opt(
        1962 + (n * 13 % 40) as i32,
        1 + (n * 5 % 12) as u32,
        1 + (n * 17 % 28) as u32,
    )
    .expect("days 1–28 exist in every month");
    Employee::new(code)
        .with_name(last, first)
        .with_kana(last_kana, first_kana)
        .with_gender(gender)
        .with_birth_date(birth)
        .with_email(format!("{first_romaji}.{last_romaji}{n}@example.co.jp"))
}

fn days_before(today: NaiveDate, days: u64) -> NaiveDate {
    today.checked_sub_days(Days::new(days)).unwrap_or(today)
}

fn days_after(today: NaiveDate, days: u64) -> NaiveDate {
    today.checked_add_days(Days::new(days)).unwrap_or(today)
}

/// An April-1st hire date some years back (the usual start of the Japanese business year).
fn april_hire(today: NaiveDate, years_back: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(today.year() - years_back, 4, 1).unwrap_or(today)
}

fn office_of(n: usize) -> Placement {
    Placement::new().with(MasterKind::Office, OFFICES[n % OFFICES.len()].0)
}

fn division_of(n: usize) -> &'static str {
    DIVISIONS[n % DIVISIONS.len()].0
}

/// Katakana to half-width katakana, for the readings an old system stored narrow.
fn half_width(kana: &str) -> String {
    let mut out = String::new();
    for c in kana.chars() {
        let narrow = match c {
            'ア' => "ｱ",
            'イ' => "ｲ",
            'ウ' => "ｳ",
            'エ' => "ｴ",
            'オ' => "ｵ",
            'カ' => "ｶ",
            'キ' => "ｷ",
            'ク' => "ｸ",
            'ケ' => "ｹ",
            'コ' => "ｺ",
            'サ' => "ｻ",
            'シ' => "ｼ",
            'ス' => "ｽ",
            'セ' => "ｾ",
            'ソ' => "ｿ",
            'タ' => "ﾀ",
            'チ' => "ﾁ",
            'ツ' => "ﾂ",
            'テ' => "ﾃ",
            'ト' => "ﾄ",
            'ナ' => "ﾅ",
            'ニ' => "ﾆ",
            'ヌ' => "ﾇ",
            'ネ' => "ﾈ",
            'ノ' => "ﾉ",
            'ハ' => "ﾊ",
            'ヒ' => "ﾋ",
            'フ' => "ﾌ",
            'ヘ' => "ﾍ",
            'ホ' => "ﾎ",
            'マ' => "ﾏ",
            'ミ' => "ﾐ",
            'ム' => "ﾑ",
            'メ' => "ﾒ",
            'モ' => "ﾓ",
            'ヤ' => "ﾔ",
            'ユ' => "ﾕ",
            'ヨ' => "ﾖ",
            'ラ' => "ﾗ",
            'リ' => "ﾘ",
            'ル' => "ﾙ",
            'レ' => "ﾚ",
            'ロ' => "ﾛ",
            'ワ' => "ﾜ",
            'ン' => "ﾝ",
            'ガ' => "ｶﾞ",
            'ギ' => "ｷﾞ",
            'グ' => "ｸﾞ",
            'ゲ' => "ｹﾞ",
            'ゴ' => "ｺﾞ",
            'ザ' => "ｻﾞ",
            'ジ' => "ｼﾞ",
            'ズ' => "ｽﾞ",
            'ゼ' => "ｾﾞ",
            'ゾ' => "ｿﾞ",
            'ダ' => "ﾀﾞ",
            'デ' => "ﾃﾞ",
            'ド' => "ﾄﾞ",
            'バ' => "ﾊﾞ",
            'ビ' => "ﾋﾞ",
            'ブ' => "ﾌﾞ",
            'ベ' => "ﾍﾞ",
            'ボ' => "ﾎﾞ",
            'ャ' => "ｬ",
            'ュ' => "ｭ",
            'ョ' => "ｮ",
            'ッ' => "ｯ",
            'ー' => "ｰ",
            other => {
                out.push(other);
                continue;
            }
        };
        out.push_str(narrow);
    }
    out
}

/// Katakana to hiragana, for readings typed in hiragana.
fn hiragana(kana: &str) -> String {
    kana.chars()
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            other => other,
        })
        .collect()
}

impl Dataset {
    /// The data set as of `today` (Japan).
    pub fn new(today: NaiveDate) -> Self {
        let mut hr = Vec::new();
        let mut attendance = Vec::new();
        let full_time = |employee: Employee, n: usize| AttendanceSeed {
            employee,
            division: division_of(n),
            employment_type: "1",
            more_emails: Vec::new(),
        };

        // 1001–1040: on both sides.
        for n in 1..=40usize {
            let code = format!("{}", 1000 + n);
            let hired = april_hire(today, 1 + (n % 12) as i32);
            let employee = person(n, &code).with_hire_date(hired);
            let mut theirs = employee.clone();
            let mut more_emails = Vec::new();
            let mut ours = employee;
            match n {
                // Cosmetic differences only: still unchanged.
                5 | 17 => {
                    theirs.last_name_kana = theirs.last_name_kana.as_deref().map(half_width);
                    theirs.first_name_kana = theirs.first_name_kana.as_deref().map(half_width);
                }
                23 => theirs.first_name_kana = theirs.first_name_kana.as_deref().map(hiragana),
                11 => {
                    theirs.email = theirs
                        .email
                        .as_deref()
                        .map(|email| email.replace("@example.co.jp", "@Example.CO.JP"));
                }
                8 => {
                    ours.business_name = Some(BusinessName {
                        last_name: Some("星野".into()),
                        last_name_kana: Some("ホシノ".into()),
                        ..BusinessName::default()
                    });
                }
                // Out of date in the attendance system: changed.
                33 => {
                    ours.last_name = Some("森田".into());
                    ours.last_name_kana = Some("モリタ".into());
                }
                34 => {
                    ours.email = Some(format!("new.address{n}@example.co.jp"));
                    more_emails.push(format!("mobile{n}@example.ne.jp"));
                }
                35 => ours.resignation_date = Some(days_after(today, 14)),
                36 => {
                    theirs.birth_date = theirs
                        .birth_date
                        .and_then(|date| date.checked_add_days(Days::new(1)))
                }
                37 => {
                    theirs.last_name_kana = None;
                    theirs.first_name_kana = None;
                }
                38 => theirs.gender = None,
                39 => {
                    ours.first_name_kana = Some("ユウキ".into());
                    ours.first_name = Some("優希".into());
                    ours.email = Some(format!("yuki{n}@example.co.jp"));
                }
                40 => theirs.hire_date = Some(days_before(hired, 1)),
                _ => {}
            }
            hr.push((ours, office_of(n)));
            attendance.push(AttendanceSeed {
                more_emails,
                ..full_time(theirs, n)
            });
        }

        // 1041–1050: hired in the last two months, not in the attendance system yet.
        for n in 41..=50usize {
            let code = format!("{}", 1000 + n);
            let mut employee =
                person(n, &code).with_hire_date(days_before(today, 5 * (n as u64 - 40)));
            if n == 42 {
                employee.business_name = Some(BusinessName {
                    last_name: Some("桜井".into()),
                    last_name_kana: Some("サクライ".into()),
                    ..BusinessName::default()
                });
            }
            hr.push((employee, office_of(n)));
        }

        // 1051–1052: future hires.
        for (n, days) in [(51usize, 10u64), (52, 25)] {
            let code = format!("{}", 1000 + n);
            hr.push((
                person(n, &code).with_hire_date(days_after(today, days)),
                office_of(n),
            ));
        }

        // 1053–1054: resigned three months ago, on both sides.
        for n in 53..=54usize {
            let code = format!("{}", 1000 + n);
            let employee = person(n, &code)
                .with_hire_date(april_hire(today, 6))
                .with_resignation_date(days_before(today, 90));
            hr.push((employee.clone(), office_of(n)));
            attendance.push(full_time(employee, n));
        }

        // 1055: no gender recorded in HR.
        let mut genderless = person(55, "1055").with_hire_date(days_before(today, 3));
        genderless.gender = None;
        hr.push((genderless, office_of(55)));

        // 1056: entered twice in HR (a rehire registered as a new record).
        let rehire = person(56, "1056");
        hr.push((
            rehire
                .clone()
                .with_hire_date(april_hire(today, 8))
                .with_resignation_date(days_after(today, 200)),
            office_of(56),
        ));
        hr.push((rehire.with_hire_date(days_before(today, 20)), office_of(56)));

        // 1057: a birth date typed a year into the future.
        let mut unborn = person(57, "1057").with_hire_date(days_before(today, 7));
        unborn.birth_date = Some(days_after(today, 365));
        hr.push((unborn, office_of(57)));

        // 1058: a first name longer than the attendance system holds.
        let mut long_name = person(58, "1058").with_hire_date(days_before(today, 9));
        long_name.first_name = Some(JUGEMU.into());
        hr.push((long_name, office_of(58)));

        // 1059: no gender on either side (KOT's 未選択); only the surname changed.
        let mut maiden = person(59, "1059").with_hire_date(april_hire(today, 4));
        maiden.gender = None;
        let mut married = maiden.clone();
        married.last_name = Some("宮本".into());
        married.last_name_kana = Some("ミヤモト".into());
        hr.push((married, office_of(59)));
        attendance.push(full_time(maiden, 59));

        // 2001–2007: part-timers entered in the attendance system only.
        for n in 1..=7usize {
            let code = format!("{}", 2000 + n);
            let mut employee =
                person(60 + n, &code).with_hire_date(days_before(today, 30 * n as u64));
            if n == 7 {
                employee.first_name = None;
                employee.first_name_kana = None;
            }
            attendance.push(AttendanceSeed {
                employee,
                division: division_of(n),
                employment_type: "3",
                more_emails: Vec::new(),
            });
        }

        Self { hr, attendance }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 15).unwrap()
    }

    #[test]
    fn the_data_set_is_large_and_varied_enough() {
        let data = Dataset::new(today());
        assert!(data.hr.len() >= 50, "{}", data.hr.len());
        let enrolled = |e: &Employee| e.is_enrolled_on(today());
        assert!(data
            .hr
            .iter()
            .any(|(e, _)| !enrolled(e) && e.resignation_date.is_some()));
        assert!(data.hr.iter().any(|(e, _)| e.hire_date > Some(today())));
        assert!(data.hr.iter().any(|(e, _)| e.gender.is_none()));
        assert!(data.hr.iter().any(|(e, _)| e.birth_date > Some(today())));
        assert_eq!(JUGEMU.chars().count(), 104);
        // 1059 has no gender on either side.
        let genderless = |code: &str| {
            data.hr
                .iter()
                .any(|(e, _)| e.code.as_str() == code && e.gender.is_none())
                && data
                    .attendance
                    .iter()
                    .any(|s| s.employee.code.as_str() == code && s.employee.gender.is_none())
        };
        assert!(genderless("1059"));
        let codes: Vec<_> = data.hr.iter().map(|(e, _)| e.code.clone()).collect();
        let unique: HashSet<_> = codes.iter().collect();
        assert_eq!(codes.len(), unique.len() + 1, "exactly one duplicate code");
        for (employee, _) in &data.hr {
            assert!(employee.last_name_kana.is_some(), "{}", employee.code);
        }
    }

    #[test]
    fn cosmetic_variants() {
        assert_eq!(half_width("ガッコウ"), "ｶﾞｯｺｳ");
        assert_eq!(hiragana("サクラ"), "さくら");
    }
}
