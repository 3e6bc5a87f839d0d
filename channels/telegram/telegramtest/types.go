package telegramtest

// The Bot API's objects, as much of them as the fake uses.

// User is a Telegram user.
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	Username  string `json:"username,omitempty"`
}

// Chat is a Telegram chat.
type Chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"` // "private", "group", "supergroup"
	Title     string `json:"title,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	Username  string `json:"username,omitempty"`
}

// Private is the private chat between the bot and u (its id is u's id).
func Private(u User) Chat {
	return Chat{ID: u.ID, Type: "private", FirstName: u.FirstName, Username: u.Username}
}

// Group is a group chat (Telegram gives groups negative ids).
func Group(id int64, title string) Chat { return Chat{ID: id, Type: "supergroup", Title: title} }

// Button is an inline keyboard button.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

// Keyboard is an inline keyboard.
type Keyboard struct {
	InlineKeyboard [][]Button `json:"inline_keyboard"`
}

// Message is a message as the Bot API shows it.
type Message struct {
	MessageID   int       `json:"message_id"`
	From        *User     `json:"from,omitempty"`
	Chat        Chat      `json:"chat"`
	Date        int64     `json:"date"`
	EditDate    int64     `json:"edit_date,omitempty"`
	Text        string    `json:"text,omitempty"`
	ReplyTo     *Message  `json:"reply_to_message,omitempty"`
	ReplyMarkup *Keyboard `json:"reply_markup,omitempty"`
}

// CallbackQuery is a press of an inline button.
type CallbackQuery struct {
	ID           string   `json:"id"`
	From         User     `json:"from"`
	Message      *Message `json:"message,omitempty"`
	ChatInstance string   `json:"chat_instance"`
	Data         string   `json:"data,omitempty"`
}

// Update is one incoming update.
type Update struct {
	UpdateID      int            `json:"update_id"`
	Message       *Message       `json:"message,omitempty"`
	CallbackQuery *CallbackQuery `json:"callback_query,omitempty"`
}
