//! `release_pdu_session`: [`ReleasePduSession`].

use super::generic::fixed_at_command;

fixed_at_command!(
    /// `AT$QCRMCALL=0,1`: release the PDU session (Qualcomm); result `{}`.
    ReleasePduSession, "release_pdu_session", "AT$QCRMCALL=0,1"
);
