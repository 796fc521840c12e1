//! SSH channel messages as driver events.

use russh::{ChannelMsg, ChannelReadHalf};

use crate::driver::{Event, Events};

pub(crate) struct SshEvents {
    pub read: ChannelReadHalf,
}

impl Events for SshEvents {
    async fn next(&mut self) -> Option<Event> {
        // Until None: ExitStatus may come before the last Data.
        loop {
            match self.read.wait().await? {
                ChannelMsg::Data { data } => return Some(Event::Stdout(data.to_vec())),
                ChannelMsg::ExtendedData { data, ext: 1 } => {
                    return Some(Event::Stderr(data.to_vec()))
                }
                ChannelMsg::ExitStatus { exit_status } => {
                    return Some(Event::Exit(i32::try_from(exit_status).unwrap_or(255)))
                }
                ChannelMsg::ExitSignal { signal_name, .. } => {
                    return Some(Event::Exit(128 + signal_number(&signal_name)))
                }
                _ => {}
            }
        }
    }
}

/// Shell convention: killed by signal N reports 128+N.
fn signal_number(sig: &russh::Sig) -> i32 {
    use russh::Sig;
    match sig {
        Sig::HUP => 1,
        Sig::INT => 2,
        Sig::QUIT => 3,
        Sig::ILL => 4,
        Sig::ABRT => 6,
        Sig::FPE => 8,
        Sig::KILL => 9,
        Sig::USR1 => 10,
        Sig::SEGV => 11,
        Sig::PIPE => 13,
        Sig::ALRM => 14,
        Sig::TERM => 15,
        _ => 127,
    }
}
