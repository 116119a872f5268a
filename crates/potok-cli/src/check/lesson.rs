//! Which task a learner's file solves: from `--lesson`, else from its name (`module_10_3.py`),
//! and for the tasks the course set differently in 2023 (two printing threads, BankAccount,
//! the Customer cafe, WarehouseManager), from what the file's code speaks of.

use crate::context::Lang;

/// A task of the course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lesson {
    /// 10_1 «Создание потоков»: write_words, four files twice.
    L1,
    /// 10_2 «Потоки на классах»: the knights.
    L2,
    /// 10_3 «Блокировки и обработка ошибок»: the bank.
    L3,
    /// 10_4 «Очереди для обмена данными между потоками»: the cafe.
    L4,
    /// 10_5 «Многопроцессное программирование»: reading files.
    L5,
    /// 2023's 10_1: two threads print the numbers 1..10 and the letters a..j.
    Legacy1,
    /// 2023's 10_3: a BankAccount from 1000, five deposits of 100, five withdrawals of 150.
    Legacy3,
    /// 2023's 10_4: a cafe of Customer threads, numbered visitors, three tables and a queue.
    Legacy4,
    /// 2023's 10_5: a WarehouseManager whose requests run in processes.
    Legacy5,
}

impl Lesson {
    /// `10_1` … `legacy-10_5`, as `--lesson` takes it.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Lesson::L1 => "10_1",
            Lesson::L2 => "10_2",
            Lesson::L3 => "10_3",
            Lesson::L4 => "10_4",
            Lesson::L5 => "10_5",
            Lesson::Legacy1 => "legacy-10_1",
            Lesson::Legacy3 => "legacy-10_3",
            Lesson::Legacy4 => "legacy-10_4",
            Lesson::Legacy5 => "legacy-10_5",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Lesson> {
        let all = [
            Lesson::L1,
            Lesson::L2,
            Lesson::L3,
            Lesson::L4,
            Lesson::L5,
            Lesson::Legacy1,
            Lesson::Legacy3,
            Lesson::Legacy4,
            Lesson::Legacy5,
        ];
        let s = s.trim().to_ascii_lowercase().replace('.', "_");
        let s = s.strip_prefix("module_").unwrap_or(&s);
        all.into_iter().find(|l| l.id() == s)
    }

    /// The task's title, as the course names it.
    pub(crate) fn title(self, lang: Lang) -> &'static str {
        lang.m().check_lesson_title(self.id())
    }

    /// The lesson number from a file name: `module_10_3.py`, `10_3.py`, `homework-10_3.py`.
    pub(crate) fn from_file_name(name: &str) -> Option<Lesson> {
        let at = name.find("10_")?;
        match name[at + 3..].chars().next()? {
            '1' => Some(Lesson::L1),
            '2' => Some(Lesson::L2),
            '3' => Some(Lesson::L3),
            '4' => Some(Lesson::L4),
            '5' => Some(Lesson::L5),
            _ => None,
        }
    }

    /// The 2023 variant of `self` when the program's code speaks of it.
    pub(crate) fn refine(self, source: &str) -> Lesson {
        let has = |word: &str| source.contains(word);
        match self {
            Lesson::L1 if !has("write_words") && !has("Какое-то слово") && !has("example") => {
                Lesson::Legacy1
            }
            Lesson::L3 if has("BankAccount") || has("Deposited") => Lesson::Legacy3,
            Lesson::L4 if has("Посетитель") || has("Customer") => Lesson::Legacy4,
            Lesson::L5 if has("WarehouseManager") || has("receipt") => Lesson::Legacy5,
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lesson;

    #[test]
    fn lessons_from_names_and_flags() {
        assert_eq!(Lesson::from_file_name("module_10_3.py"), Some(Lesson::L3));
        assert_eq!(Lesson::from_file_name("my.py"), None);
        assert_eq!(Lesson::parse("10_5"), Some(Lesson::L5));
        assert_eq!(Lesson::parse("legacy-10_4"), Some(Lesson::Legacy4));
        assert_eq!(Lesson::parse("10_9"), None);
        assert_eq!(Lesson::L3.refine("class BankAccount:"), Lesson::Legacy3);
        assert_eq!(Lesson::L1.refine("def write_words("), Lesson::L1);
    }
}
