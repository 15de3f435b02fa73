//! `create_pdu_session`: [`CreatePduSession`].

use super::generic::fixed_at_command;

fixed_at_command!(
    /// `AT$QCRMCALL=1,1`: establish a PDU session (Qualcomm); result `{}`.
    CreatePduSession, "create_pdu_session", "AT$QCRMCALL=1,1"
);
