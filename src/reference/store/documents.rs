//! The store's messages, teams and omnichannel visitors: plain writes and queries over the
//! collections the membership surface added.
//!
//! Owns saving a message (the room's `msgs` + 1, `lm` and `_updatedAt` move), team membership
//! rows and visitor lookup by token. It must not encode endpoint rules.

use super::Store;
use crate::reference::ids;
use crate::reference::records::{Author, Draft, Message, Team, TeamMember, Visitor};

impl Store {
    /// The author a user document makes: `{_id, username, name}`.
    pub(crate) fn author(&self, user_id: &str) -> Option<Author> {
        self.user(user_id).map(|user| Author {
            id: user.id.clone(),
            username: user.username.clone(),
            name: Some(user.name.clone()),
        })
    }

    /// Saves a message in the room: `msgs` + 1, `lm` and `_updatedAt` move. Returns its `_id`.
    pub(crate) fn record_message(&mut self, room_id: &str, draft: Draft) -> String {
        let now = self.now();
        if let Some(room) = self.rooms.get_mut(room_id) {
            room.msgs += 1;
            room.last_message_at = Some(now);
            room.updated_at = now;
        }
        let id = ids::document_id();
        let message = Message {
            id: id.clone(),
            room_id: room_id.to_owned(),
            ts: now,
            draft,
        };
        self.messages.insert(id.clone(), message);
        id
    }

    /// A message by `_id`.
    pub(crate) fn message(&self, id: &str) -> Option<&Message> {
        self.messages.get(id)
    }

    /// Removes a message and decreases its room's `msgs` (`deleteMessage` without
    /// `Message_KeepHistory` or `Message_ShowDeletedStatus`, their defaults).
    pub(crate) fn remove_message(&mut self, id: &str) {
        if let Some(message) = self.messages.shift_remove(id)
            && let Some(room) = self.rooms.get_mut(&message.room_id)
        {
            room.msgs = room.msgs.saturating_sub(1);
        }
    }

    /// The room's messages, oldest first.
    pub(crate) fn messages_of_room<'a>(
        &'a self,
        room_id: &'a str,
    ) -> impl Iterator<Item = &'a Message> + 'a {
        self.messages
            .values()
            .filter(move |message| message.room_id == room_id)
    }

    /// A team by `_id`.
    pub(crate) fn team(&self, id: &str) -> Option<&Team> {
        self.teams.get(id)
    }

    /// A team by exact name.
    pub(crate) fn team_by_name(&self, name: &str) -> Option<&Team> {
        self.teams.values().find(|team| team.name == name)
    }

    pub(crate) fn insert_team(&mut self, team: Team) {
        self.teams.insert(team.id.clone(), team);
    }

    pub(crate) fn remove_team(&mut self, id: &str) {
        self.teams.shift_remove(id);
    }

    /// Adds a membership row unless the user already has one (`Team.addMember`).
    pub(crate) fn add_team_member(&mut self, team_id: &str, member: TeamMember) {
        if let Some(team) = self.teams.get_mut(team_id)
            && !team.has_member(&member.user_id)
        {
            team.members.push(member);
        }
    }

    /// Removes the user's membership row (`Team.removeMember`).
    pub(crate) fn remove_team_member(&mut self, team_id: &str, user_id: &str) {
        if let Some(team) = self.teams.get_mut(team_id) {
            team.members.retain(|member| member.user_id != user_id);
        }
    }

    /// A visitor by token.
    pub(crate) fn visitor(&self, token: &str) -> Option<&Visitor> {
        self.visitors.get(token)
    }

    /// How many visitors ever registered (removed ones included).
    pub(crate) fn visitor_count(&self) -> usize {
        self.visitors_registered
    }

    /// Inserts or replaces the visitor with this token.
    pub(crate) fn insert_visitor(&mut self, visitor: Visitor) {
        if self
            .visitors
            .insert(visitor.token.clone(), visitor)
            .is_none()
        {
            self.visitors_registered += 1;
        }
    }

    /// Removes the visitor with this token.
    pub(crate) fn remove_visitor(&mut self, token: &str) -> Option<Visitor> {
        self.visitors.shift_remove(token)
    }

    /// Notes that the user's subscription to the room was deleted by a kick or a leave.
    pub(crate) fn note_departure(&mut self, room_id: &str, user_id: &str) {
        self.departed
            .insert((room_id.to_owned(), user_id.to_owned()));
    }

    /// Whether a kick or leave ever removed the user from the room.
    pub(crate) fn has_departed(&self, room_id: &str, user_id: &str) -> bool {
        self.departed
            .contains(&(room_id.to_owned(), user_id.to_owned()))
    }
}
