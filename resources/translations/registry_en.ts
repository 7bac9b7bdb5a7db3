<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>AdminPage</name>
    <message>
        <location filename="../../ui/setup_wizard.py" line="74" />
        <source>系统管理员</source>
        <translation>Administrator</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="74" />
        <source>创建第一个系统管理员账户，用于添加登记员和负责人。</source>
        <translation>Create the first administrator account; it adds registrars and supervisors.</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="75" />
        <location filename="../../ui/workflows/admin_page.py" line="105" />
        <source>用户名</source>
        <translation>User name</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="76" />
        <location filename="../../ui/workflows/admin_page.py" line="106" />
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="78" />
        <source>密码</source>
        <translation>Password</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="82" />
        <source>再次输入</source>
        <translation>Repeat</translation>
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="87" />
        <source>系统管理仅供系统管理员使用。</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="87" />
        <source>说明</source>
        <translation>About</translation>
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="110" />
        <source>初始密码（至少10位，含字母和数字）</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="112" />
        <source>添加用户</source>
        <translation>Add user</translation>
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="118" />
        <source>停用</source>
        <translation>Disable</translation>
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="119" />
        <source>启用</source>
        <translation>Enable</translation>
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="120" />
        <location filename="../../ui/workflows/admin_page.py" line="170" />
        <source>重置密码</source>
        <translation>Reset password</translation>
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="126" />
        <source>用户</source>
        <translation>Users</translation>
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="147" />
        <source>已添加用户，首次登录须修改密码。</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="156" />
        <location filename="../../ui/workflows/admin_page.py" line="168" />
        <source>请先选择用户</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="160" />
        <source>停用用户</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="160" />
        <source>停用原因</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="162" />
        <source>已停用</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="162" />
        <source>已启用</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="170" />
        <source>新的初始密码</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="173" />
        <source>密码已重置，该用户下次登录须修改密码。</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="182" />
        <source>办理涉外、涉港澳台及华侨婚姻登记（省级指定）</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="184" />
        <source>办理收养登记</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="187" />
        <source>留空则用本机关代码（证书字号归属待核实）</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="188" />
        <location filename="../../ui/workflows/admin_page.py" line="190" />
        <source> 分钟</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="189" />
        <source> 次</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="191" />
        <source> 天</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="192" />
        <source>登记机关名称</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="193" />
        <source>行政区划代码</source>
        <translation>Division code</translation>
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="196" />
        <source>证书字号编号范围代码</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="197" />
        <source>无操作自动锁屏</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="198" />
        <source>登录失败锁定阈值</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="199" />
        <source>锁定时长</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="200" />
        <source>省级比对数据过期提醒</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="201" />
        <source>保存设置</source>
        <translation>Save settings</translation>
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="204" />
        <source>在本机系统钥匙串中保存数据库口令（开机免输口令）</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="207" />
        <source>办公设置</source>
        <translation>Office settings</translation>
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="214" />
        <source>设置已保存</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="219" />
        <source>本机数据库才需要口令</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="221" />
        <source>保存数据库口令</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="221" />
        <source>请输入数据库口令以确认</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="225" />
        <source>口令不正确</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="228" />
        <source>本机没有可用的系统钥匙串，仍需每次输入口令</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="231" />
        <source>口令已保存到本机系统钥匙串</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="240" />
        <source>导入节假日安排文件（JSON 或 CSV）</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="244" />
        <source>节假日安排</source>
        <translation>Holiday schedules</translation>
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="249" />
        <source>已载入的年度：</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="250" />
        <source>
期限落在未载入年度的离婚申请将被拒绝计算，请在国务院公布次年安排后及时导入。</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="253" />
        <source>选择节假日安排文件</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="258" />
        <source>已导入</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="265" />
        <source>审计日志逐条哈希链接，任何修改或删除都会被发现。</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="267" />
        <source>核验审计链</source>
        <translation>Verify the audit chain</translation>
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="272" />
        <source>审计</source>
        <translation>Audit</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/workflows/admin_page.py" line="277" />
        <source>审计链完整：共核验 %n 条记录。</source>
        <translation type="unfinished">
            <numerusform />
            <numerusform />
        </translation>
    </message>
    <message>
        <location filename="../../ui/workflows/admin_page.py" line="279" />
        <source>审计链断裂：</source>
        <translation type="unfinished" />
    </message>
</context>
<context>
    <name>ChangePasswordDialog</name>
    <message>
        <location filename="../../ui/login.py" line="96" />
        <source>修改密码</source>
        <translation>Change password</translation>
    </message>
    <message>
        <location filename="../../ui/login.py" line="96" />
        <source>首次登录请设置自己的密码（至少10位，含字母和数字）。</source>
        <translation>Please set your own password at first login (at least 10 characters, letters and digits).</translation>
    </message>
    <message>
        <location filename="../../ui/login.py" line="105" />
        <source>原密码</source>
        <translation>Current password</translation>
    </message>
    <message>
        <location filename="../../ui/login.py" line="106" />
        <source>新密码</source>
        <translation>New password</translation>
    </message>
    <message>
        <location filename="../../ui/login.py" line="107" />
        <source>再次输入</source>
        <translation>Repeat</translation>
    </message>
    <message>
        <location filename="../../ui/login.py" line="111" />
        <source>两次输入的新密码不一致</source>
        <translation>The two new passwords differ</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <location filename="../../ui/login.py" line="69" />
        <source>屏幕已锁定，请重新输入密码。</source>
        <translation>The screen is locked. Enter your password again.</translation>
    </message>
    <message>
        <location filename="../../ui/login.py" line="70" />
        <source>登录 — 婚姻收养登记系统</source>
        <translation>Sign in — Marriage and Adoption Registry</translation>
    </message>
    <message>
        <location filename="../../ui/login.py" line="78" />
        <source>用户名</source>
        <translation>User name</translation>
    </message>
    <message>
        <location filename="../../ui/login.py" line="79" />
        <source>密码</source>
        <translation>Password</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="88" />
        <source>婚姻收养登记系统</source>
        <translation>Marriage and Adoption Registry</translation>
    </message>
</context>
<context>
    <name>NotYetAvailablePage</name>
    <message>
        <location filename="../../ui/pages.py" line="29" />
        <source>此功能尚未提供。</source>
        <translation>This function is not available yet.</translation>
    </message>
</context>
<context>
    <name>OfficePage</name>
    <message>
        <location filename="../../ui/setup_wizard.py" line="43" />
        <source>登记机关</source>
        <translation>Registry office</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="43" />
        <source>填写本婚姻登记机关的名称和县级行政区划代码（GB/T 2260）。</source>
        <translation>Enter the office name and its county-level division code (GB/T 2260).</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="44" />
        <source>机关名称</source>
        <translation>Office name</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="44" />
        <source>请输入登记机关名称</source>
        <translation>Enter the office name</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="46" />
        <source>行政区划代码</source>
        <translation>Division code</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="48" />
        <source>本机关经省级指定，办理涉外、涉港澳台及华侨婚姻登记</source>
        <translation>Designated by the province for cases with foreign, Hong Kong, Macao, Taiwan or overseas Chinese parties</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="49" />
        <source>本机关办理收养登记</source>
        <translation>This office registers adoptions</translation>
    </message>
</context>
<context>
    <name>PassphrasePage</name>
    <message>
        <location filename="../../ui/setup_wizard.py" line="57" />
        <source>数据库口令</source>
        <translation>Database passphrase</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="58" />
        <source>所有登记数据加密保存。口令丢失将无法恢复数据，请妥善保管（建议由负责人另行封存）。</source>
        <translation>All records are stored encrypted. A lost passphrase cannot be recovered: keep it safe (the office head should keep a sealed copy).</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="60" />
        <source>口令</source>
        <translation>Passphrase</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="65" />
        <source>再次输入</source>
        <translation>Repeat</translation>
    </message>
</context>
<context>
    <name>PhotoPicker</name>
    <message>
        <location filename="../../ui/widgets/photo.py" line="29" />
        <source>清除</source>
        <translation>Clear</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/photo.py" line="36" />
        <location filename="../../ui/widgets/photo.py" line="95" />
        <source>未选择</source>
        <translation>None chosen</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/photo.py" line="62" />
        <source>图片 (*.jpg *.jpeg *.png)</source>
        <translation>Images (*.jpg *.jpeg *.png)</translation>
    </message>
</context>
<context>
    <name>SetupWizard</name>
    <message>
        <location filename="../../ui/setup_wizard.py" line="95" />
        <source>婚姻收养登记系统 — 首次设置</source>
        <translation>Marriage and Adoption Registry — first start</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="105" />
        <source>下一步</source>
        <translation>Next</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="106" />
        <source>上一步</source>
        <translation>Back</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="107" />
        <source>完成</source>
        <translation>Finish</translation>
    </message>
    <message>
        <location filename="../../ui/setup_wizard.py" line="108" />
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>UnlockDialog</name>
    <message>
        <location filename="../../ui/login.py" line="47" />
        <source>打开登记数据库</source>
        <translation>Open the registry database</translation>
    </message>
    <message>
        <location filename="../../ui/login.py" line="47" />
        <source>请输入数据库口令以解密本机登记数据。</source>
        <translation>Enter the database passphrase to decrypt this counter's records.</translation>
    </message>
    <message>
        <location filename="../../ui/login.py" line="52" />
        <source>数据库口令</source>
        <translation>Database passphrase</translation>
    </message>
</context>
<context>
    <name>_FormDialog</name>
    <message>
        <location filename="../../ui/login.py" line="31" />
        <source>确定</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../../ui/login.py" line="33" />
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
</context>
</TS>