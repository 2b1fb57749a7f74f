//! Provisioning the rooms of the invite surface (each written to the ledger before it is
//! created): a team's main room (`teams.create`; the team is the ledger's object, deleted with
//! its room), a discussion of an earlier room (`rooms.createDiscussion`; ledgered under the
//! name it is given, its `name` being a random id), an omnichannel room opened by a livechat
//! visitor whose token is the room's ledger name; and the members a setup removes again
//! before the call (banned and unbanned by the room's creator, kicked by it, or leaving on
//! their own).

use super::{Fixtures, LiveRoom, LiveUser, ProvisionError, Provisioner};
use crate::api::RoomType;
use crate::case::{RoomFixture, UserRef};
use crate::run::ledger::Entry;
use crate::target::api::{ApiError, Session};

/// What every kind of room needs to be created: its name, its creator and the usernames of
/// the members it is created with.
pub(super) struct NewRoom<'a> {
    /// The name (`rcc-<run>-<case>-<logical name>`).
    pub(super) name: String,
    /// The creator.
    pub(super) creator: &'a LiveUser,
    /// The creator's session.
    pub(super) session: &'a Session,
    /// The members besides the creator (usernames).
    pub(super) others: &'a [String],
}

impl Provisioner {
    /// A team's main room: the team is ledgered (deleting it deletes the room); its room's
    /// name and id.
    pub(super) async fn team_room(
        &self,
        new: &NewRoom<'_>,
        room: &RoomFixture,
    ) -> Result<(String, String), ProvisionError> {
        self.ledger.record(&Entry::Team {
            name: new.name.clone(),
            deleter: new.creator.username.clone(),
        })?;
        let team = self
            .api
            .create_team(new.session, room.room_type, &new.name, new.others)
            .await?;
        self.ledger.record_later(&Entry::TeamId {
            name: new.name.clone(),
            id: team.id,
        })?;
        Ok((new.name.clone(), team.room_id))
    }

    /// A discussion of the room `parent_id`, ledgered under the name it is given (`t_name`);
    /// the room's `name` as the server answers it and its id.
    pub(super) async fn discussion_room(
        &self,
        new: &NewRoom<'_>,
        room: &RoomFixture,
        parent_id: &str,
    ) -> Result<(String, String), ProvisionError> {
        self.ledger.record(&Entry::Room {
            name: new.name.clone(),
            room_type: room.room_type,
            deleter: new.creator.username.clone(),
        })?;
        let (id, name) = self
            .api
            .create_discussion(new.session, parent_id, &new.name, new.others)
            .await?;
        self.ledger.record_later(&Entry::RoomId {
            name: new.name.clone(),
            id: id.clone(),
        })?;
        Ok((name, id))
    }

    /// An omnichannel room opened by a livechat visitor whose token (and name) is `name`: it
    /// carries the run id, guards nothing but that throwaway visitor, and lets cleanup close
    /// the room and delete the visitor after a crash. A target that refuses to open the room
    /// (a 4xx: no agent available) skips the case.
    pub(super) async fn omnichannel_room(&self, name: &str) -> Result<LiveRoom, ProvisionError> {
        self.ledger.record(&Entry::Room {
            name: name.to_owned(),
            room_type: RoomType::Omnichannel,
            deleter: self.admin_username.clone(),
        })?;
        let id = match self.api.open_livechat(name).await {
            Ok(id) => id,
            // A refusal (4xx: no agent available, omnichannel off) skips the case; a server
            // error stays an error.
            Err(
                source @ ApiError::Refused {
                    status: 400..=499, ..
                },
            ) => {
                return Err(ProvisionError::Unavailable {
                    what: "the target did not open an omnichannel room for a livechat visitor"
                        .to_owned(),
                    source,
                });
            }
            Err(e) => return Err(e.into()),
        };
        self.ledger.record_later(&Entry::RoomId {
            name: name.to_owned(),
            id: id.clone(),
        })?;
        Ok(LiveRoom {
            id,
            name: name.to_owned(),
            room_type: RoomType::Omnichannel,
            reader: UserRef::Admin,
        })
    }

    /// The members the setup removes from room `id` before the call: banned (and unbanned)
    /// and kicked by the creator (`session`), or leaving with their own session.
    pub(super) async fn removals(
        &self,
        session: &Session,
        room: &RoomFixture,
        id: &str,
        fx: &Fixtures,
    ) -> Result<(), ProvisionError> {
        let user = |u: &UserRef| {
            fx.users.get(u).ok_or_else(|| {
                ProvisionError::Unsupported(format!("`{}` was not provisioned", u.name()))
            })
        };
        for banned in room.removals.banned.iter().chain(&room.removals.unbanned) {
            self.api
                .set_banned(session, id, &user(banned)?.id, true)
                .await?;
        }
        for unbanned in &room.removals.unbanned {
            self.api
                .set_banned(session, id, &user(unbanned)?.id, false)
                .await?;
        }
        for kicked in &room.removals.kicked {
            self.api
                .kick(session, room.room_type, id, &user(kicked)?.id)
                .await?;
        }
        for leaver in &room.removals.left {
            let live = user(leaver)?;
            let own = live.session.as_ref().ok_or_else(|| {
                ProvisionError::Unsupported(format!(
                    "`{}` has no session to leave with",
                    leaver.name()
                ))
            })?;
            self.api.leave(own, room.room_type, id).await?;
        }
        Ok(())
    }
}
