//! Users and groups from the capture's user list blocks (and, later, the live host).

use std::collections::HashMap;

/// Most users (and, separately, groups) kept; later entries are counted and dropped.
pub const MAX_USERS: usize = 65_536;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub uid: u32,
    pub gid: u32,
    pub name: String,
    pub home: String,
    pub shell: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    pub gid: u32,
    pub name: String,
}

#[derive(Debug, Clone, Default)]
pub struct UserTable {
    users: HashMap<u32, UserInfo>,
    groups: HashMap<u32, GroupInfo>,
    /// Entries dropped because a table was full.
    pub dropped: u64,
}

impl UserTable {
    pub fn user(&self, uid: u32) -> Option<&UserInfo> {
        self.users.get(&uid)
    }
    pub fn group(&self, gid: u32) -> Option<&GroupInfo> {
        self.groups.get(&gid)
    }
    pub fn user_count(&self) -> usize {
        self.users.len()
    }
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }
    pub fn add_user(&mut self, u: UserInfo) {
        if self.users.len() >= MAX_USERS && !self.users.contains_key(&u.uid) {
            self.dropped += 1;
            return;
        }
        self.users.insert(u.uid, u);
    }
    pub fn add_group(&mut self, g: GroupInfo) {
        if self.groups.len() >= MAX_USERS && !self.groups.contains_key(&g.gid) {
            self.dropped += 1;
            return;
        }
        self.groups.insert(g.gid, g);
    }
}
